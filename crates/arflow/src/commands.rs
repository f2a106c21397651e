//! One function per command: read the arguments, call the use case, print the result.

use std::io::{IsTerminal, Write};
use std::path::Path;

use arflow_app::demo::{DemoOptions, DemoProgress};
use arflow_app::dunning::PolicySave;
use arflow_app::import::{ImportOptions, ImportReport};
use arflow_app::plans::PlanView;
use arflow_app::{Actor, App};
use arflow_core::arrangement::{Decision, Interval, ProposalInput};
use arflow_core::kpi::AgeingBuckets;
use arflow_core::money::Currency;
use arflow_core::party::OrgCountry;
use arflow_core::reference::{self, ReferenceScheme};
use arflow_store::PlanState;
use serde::Serialize;

use crate::cli::*;
use crate::config::{ADDR_DEFAULT, DB_DEFAULT};
use crate::{Config, Failure, exit, open_app};

/// What every command needs besides its own arguments.
struct Ctx {
    db: String,
    org: Option<String>,
    json: bool,
    config: Config,
    public_url: Option<String>,
    /// `--today`: the clock starts at noon UTC of this date.
    today: Option<jiff::civil::Date>,
    /// The stores this command opened, closed when it ends (see [`dispatch`]).
    opened: std::sync::Mutex<Vec<arflow_store::Store>>,
}

impl Ctx {
    async fn app(&self) -> Result<App, Failure> {
        let app = open_app(&self.db).await?.with_public_url(self.public_url.clone());
        self.opened
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(app.store.clone());
        let Some(today) = self.today else { return Ok(app) };
        let noon = today
            .at(12, 0, 0, 0)
            .to_zoned_datetime(jiff::tz::TimeZone::UTC)
            .map_err(|e| Failure::new(exit::USAGE, format!("--today {today}: {e}")))?;
        let clock = arflow_app::ShiftedClock::starting_at(noon.timestamp().as_microsecond());
        Ok(app.with_clock(std::sync::Arc::new(clock)))
    }

    fn org(&self) -> Option<&str> {
        self.org.as_deref()
    }

    /// Prints `value` as JSON, or `text` for people.
    fn print<T: Serialize>(&self, value: &T, text: impl FnOnce() -> String) -> Result<(), Failure> {
        let mut out = std::io::stdout().lock();
        if self.json {
            let s = serde_json::to_string_pretty(value)
                .map_err(|e| Failure::new(exit::FAILURE, e.to_string()))?;
            writeln!(out, "{s}")?;
        } else {
            writeln!(out, "{}", text())?;
        }
        Ok(())
    }
}

fn country(c: CountryArg) -> OrgCountry {
    match c {
        CountryArg::Nl => OrgCountry::Nl,
        CountryArg::Be => OrgCountry::Be,
    }
}

/// Runs the command and returns the exit code.
pub async fn dispatch(cli: Cli) -> Result<u8, Failure> {
    let config = Config::load(cli.config.as_deref())?;
    let ctx = Ctx {
        db: cli.db.clone().or_else(|| config.db.clone()).unwrap_or_else(|| DB_DEFAULT.to_owned()),
        org: cli.org.clone().or_else(|| config.org.clone()),
        json: cli.json,
        config,
        public_url: cli.public_url.clone(),
        today: cli.today,
        opened: std::sync::Mutex::default(),
    };
    let outcome = command(&ctx, cli.command).await;
    // Closed, not dropped with the process: the last SQLite connection to close folds the
    // write-ahead log into the database file. Left behind (after `demo` it holds every page
    // written), the next process would first replay it and then read through it.
    let opened =
        std::mem::take(&mut *ctx.opened.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
    for store in opened {
        store.close().await;
    }
    outcome
}

async fn command(ctx: &Ctx, command: Command) -> Result<u8, Failure> {
    match command {
        Command::Serve(args) => serve(ctx, args).await,
        Command::Migrate => migrate(ctx).await,
        Command::Demo(args) => demo(ctx, args).await,
        Command::Org(OrgCommand::Create { slug, name, country: c }) => {
            let app = ctx.app().await?;
            let org = app.create_organisation(&slug, &name, country(c), &Actor::cli()).await?;
            ctx.print(&org, || {
                format!(
                    "created organisation {} ({})",
                    org.organisation.slug, org.organisation.name
                )
            })?;
            Ok(exit::OK)
        }
        Command::Org(OrgCommand::Update {
            iban,
            bic,
            vat_number,
            kvk_number,
            enterprise_number,
            time_zone,
        }) => {
            let app = ctx.app().await?;
            let details = arflow_app::orgs::OrganisationDetails {
                iban,
                bic,
                vat_number,
                kvk_number,
                enterprise_number,
                time_zone,
                ..Default::default()
            };
            let org = app.update_organisation_details(ctx.org(), &details, &Actor::cli()).await?;
            ctx.print(&org, || format!("updated organisation {}", org.organisation.slug))?;
            Ok(exit::OK)
        }
        Command::Org(OrgCommand::List) => {
            let app = ctx.app().await?;
            let orgs = app.list_organisations().await?;
            ctx.print(&orgs, || {
                if orgs.is_empty() {
                    return "no organisations yet: `arflow org create` or `arflow demo`".into();
                }
                orgs.iter()
                    .map(|o| {
                        let org = &o.organisation;
                        format!(
                            "{:<20} {:<3} {:<4} {}",
                            org.slug, org.country, org.currency, org.name
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            })?;
            Ok(exit::OK)
        }
        Command::Token(TokenCommand::Create { name }) => {
            let app = ctx.app().await?;
            let token = app.create_token(ctx.org(), &name, &Actor::cli()).await?;
            ctx.print(&token, || {
                format!(
                    "token for {} (shown once, keep it safe):\n{}",
                    token.organisation, token.token
                )
            })?;
            Ok(exit::OK)
        }
        Command::User(c) => user_cmd(ctx, c).await,
        Command::Import(args) => import(ctx, args).await,
        Command::Parse(ParseCommand::Statement { file, statement }) => {
            crate::inbound::parse_statement(&file, &statement, ctx.json)
        }
        Command::Parse(ParseCommand::Invoice { file }) => {
            crate::inbound::parse_invoice(&file, ctx.json)
        }
        Command::Mapping(command) => {
            let app = ctx.app().await?;
            crate::inbound::mapping_command(&app, ctx.org(), command, ctx.json).await
        }
        Command::Match(command) => {
            let app = ctx.app().await?;
            crate::inbound::match_command(&app, ctx.org(), command, ctx.json).await
        }
        Command::Export(args) => export(ctx, args).await,
        Command::Report(r) => report(ctx, r).await,
        Command::Reference(r) => reference_cmd(ctx, r).await,
        Command::Healthcheck(args) => healthcheck(ctx, args).await,
        Command::Dunning(c) => dunning_cmd(ctx, c).await,
        Command::Outbox(c) => outbox_cmd(ctx, c).await,
        Command::Charges { invoice, as_of } => charges_cmd(ctx, &invoice, as_of).await,
        Command::Template(c) => template_cmd(ctx, c).await,
        Command::Task(c) => task_cmd(ctx, c).await,
        Command::Plan(c) => plan_cmd(ctx, c).await,
        Command::Bench(b) => crate::commands::bench(ctx, b).await,
    }
}

async fn migrate(ctx: &Ctx) -> Result<u8, Failure> {
    let store = arflow_store::Store::connect(&ctx.db).await.map_err(|e| {
        Failure::new(exit::FAILURE, format!("cannot open database {}: {e}", ctx.db))
    })?;
    ctx.opened.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(store.clone());
    let applied = store.migrate(jiff::Timestamp::now().as_microsecond()).await?;
    ctx.print(&serde_json::json!({ "applied": applied }), || {
        if applied.is_empty() {
            "the database schema is up to date".into()
        } else {
            format!("applied migrations {applied:?}")
        }
    })?;
    Ok(exit::OK)
}

/// Shows progress on a terminal (standard error), nothing otherwise.
struct Progress {
    on: bool,
    label: &'static str,
}

impl Progress {
    fn new(label: &'static str) -> Progress {
        Progress { on: std::io::stderr().is_terminal(), label }
    }

    fn show(&self, done: u64, total: u64) {
        if self.on {
            let pct = (done * 100).checked_div(total).unwrap_or(100);
            eprint!("\r{}: {done}/{total} ({pct}%)   ", self.label);
        }
    }

    fn done(&self) {
        if self.on {
            eprintln!();
        }
    }
}

async fn demo(ctx: &Ctx, args: DemoArgs) -> Result<u8, Failure> {
    let app = ctx.app().await?;
    let summary = run_demo(&app, &args).await?;
    ctx.print(&summary, || {
        format!(
            "demo organisation {}: {} debtors, {} invoices, {} credit notes, {} payments, {} open invoices on {}",
            summary.organisation,
            summary.debtors,
            summary.invoices,
            summary.credit_notes,
            summary.payments,
            summary.open_invoices,
            summary.as_of
        )
    })?;
    Ok(exit::OK)
}

async fn run_demo(app: &App, args: &DemoArgs) -> Result<arflow_app::demo::DemoSummary, Failure> {
    let opts = DemoOptions {
        debtors: args.debtors,
        seed: args.seed,
        as_of: args.as_of,
        country: country(args.country),
        slug: args.slug.clone(),
        months: 24,
    };
    let progress = Progress::new("generating debtors");
    let mut report = |p: DemoProgress| progress.show(p.debtors_done, p.debtors_total);
    let summary = app.demo(&opts, &mut report, &Actor::cli()).await?;
    progress.done();
    Ok(summary)
}

async fn serve(ctx: &Ctx, args: ServeArgs) -> Result<u8, Failure> {
    let addr = args.addr.or(ctx.config.addr).unwrap_or_else(|| {
        ADDR_DEFAULT.parse().unwrap_or(std::net::SocketAddr::from(([127, 0, 0, 1], 8080)))
    });
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| Failure::new(exit::FAILURE, format!("cannot listen on {addr}: {e}")))?;
    let addr = listener.local_addr().unwrap_or(addr);
    // The SMTP server sends the scheduler's messages and the settings page's test message.
    let mail = mailer(&args.smtp)?;
    // Portal links in messages point here unless another public address is given.
    let public_url = ctx.public_url.clone().unwrap_or_else(|| format!("http://{addr}"));
    // Online payment in the portal, when a Mollie key is given.
    let payments = match args.mollie_key.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
        Some(key) => {
            let mollie = arflow_app::payments::Mollie::new(&args.mollie_api, key)
                .map_err(|e| Failure::new(exit::USAGE, e.to_string()))?;
            let provider: std::sync::Arc<dyn arflow_app::payments::PaymentProvider> =
                std::sync::Arc::new(mollie);
            Some(provider)
        }
        None => None,
    };
    let app = ctx
        .app()
        .await?
        .with_mailer(mail.clone())
        .with_public_url(Some(public_url))
        .with_payments(payments);
    if args.demo {
        let orgs = app.list_organisations().await?;
        let slug = if orgs.is_empty() {
            eprintln!("the database is empty: generating demo data …");
            let demo_args = DemoArgs {
                debtors: 200,
                seed: 42,
                as_of: None,
                country: CountryArg::Nl,
                slug: None,
            };
            run_demo(&app, &demo_args).await?.organisation
        } else {
            orgs.first().map(|o| o.organisation.slug.to_string()).unwrap_or_default()
        };
        let token = app.create_token(Some(&slug), "demo", &Actor::cli()).await?;
        let (email, password) = arflow_app::users::DEMO_LOGIN;
        match app
            .create_user(
                Some(&slug),
                email,
                "Demo",
                password,
                "nl",
                arflow_app::users::Role::Admin,
                &Actor::cli(),
            )
            .await
        {
            Ok(_) | Err(arflow_app::AppError::Conflict { .. }) => {}
            Err(e) => return Err(e.into()),
        }
        eprintln!();
        eprintln!("arflow is serving demo organisation '{slug}' at http://{addr}/");
        eprintln!(
            "  API:     http://{addr}/api/v1/invoices   (OpenAPI: http://{addr}/api/v1/openapi.json)"
        );
        eprintln!("  sign in: http://{addr}/login   {email} / {password}");
        eprintln!("  token:   {}", token.token);
        eprintln!(
            "  try:     curl -H 'Authorization: Bearer {}' http://{addr}/api/v1/reports/ageing",
            token.token
        );
        eprintln!();
    }
    tracing::info!(%addr, db = %ctx.db, "serving");
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let scheduler = if args.no_scheduler {
        None
    } else {
        let schedule = crate::scheduler::Schedule { hour: args.run_hour, mailer: mail };
        if schedule.mailer.is_none() {
            tracing::info!("no SMTP server configured (--smtp): messages stay in the outbox");
        }
        Some(tokio::spawn(crate::scheduler::run(app.clone(), schedule, stop_rx)))
    };
    arflow_web::serve(app.clone(), listener, shutdown_signal()).await?;
    let _ = stop_tx.send(true);
    if let Some(handle) = scheduler {
        let _ = handle.await;
    }
    app.store.close().await;
    tracing::info!("stopped");
    Ok(exit::OK)
}

async fn user_cmd(ctx: &Ctx, c: crate::cli::UserCommand) -> Result<u8, Failure> {
    use crate::cli::UserCommand as U;
    use arflow_app::users::Role;
    let app = ctx.app().await?;
    match c {
        U::Create { email, name, role, language, password_stdin } => {
            let role: Role = role.parse()?;
            let (password, generated) = if password_stdin {
                let mut line = String::new();
                std::io::stdin().read_line(&mut line)?;
                (line.trim_end_matches(['\r', '\n']).to_owned(), false)
            } else {
                (arflow_app::users::generate_password()?, true)
            };
            let user = app
                .create_user(ctx.org(), &email, &name, &password, &language, role, &Actor::cli())
                .await?;
            let shown = generated.then_some(password.as_str());
            ctx.print(
                &serde_json::json!({ "user": user, "role": role, "password": shown }),
                || {
                    let mut text =
                        format!("created {} ({}) as {}", user.email, user.name, role.as_str());
                    if let Some(p) = shown {
                        text.push_str(&format!("\npassword (shown once): {p}"));
                    }
                    text
                },
            )?;
        }
        U::Grant { email, role } => {
            let role: Role = role.parse()?;
            app.grant_role(ctx.org(), &email, role, &Actor::cli()).await?;
            ctx.print(&serde_json::json!({ "email": email, "role": role }), || {
                format!("{email} is now {} here", role.as_str())
            })?;
        }
    }
    Ok(exit::OK)
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = term => {} }
}

fn read_file(path: &Path) -> Result<Vec<u8>, Failure> {
    std::fs::read(path)
        .map_err(|e| Failure::new(exit::FAILURE, format!("cannot read {}: {e}", path.display())))
}

async fn import(ctx: &Ctx, args: ImportArgs) -> Result<u8, Failure> {
    let app = ctx.app().await?;
    match args.kind {
        Kind::Statement => {
            return crate::inbound::import_statements(
                &app,
                ctx.org(),
                &args.files,
                &args.statement,
                ctx.json,
            )
            .await;
        }
        Kind::Invoice => {
            return crate::inbound::import_invoices(
                &app,
                ctx.org(),
                &args.files,
                args.update,
                ctx.json,
            )
            .await;
        }
        Kind::Debtors | Kind::Invoices | Kind::Payments => {}
    }
    let [path] = args.files.as_slice() else {
        return Err(Failure::new(exit::USAGE, "a CSV import takes one file"));
    };
    let bytes = read_file(path)?;
    let file = path.display().to_string();
    let opts = ImportOptions { update: args.update };
    let actor = Actor::cli();
    if args.update && args.kind == Kind::Payments {
        return Err(Failure::new(
            exit::USAGE,
            "payments are never changed once stored: --update does not apply",
        ));
    }
    let progress = Progress::new("importing");
    progress.show(0, 1);
    let report = match args.kind {
        Kind::Debtors => app.import_debtors_csv(ctx.org(), &file, &bytes, opts, &actor).await?,
        Kind::Invoices => app.import_invoices_csv(ctx.org(), &file, &bytes, opts, &actor).await?,
        Kind::Payments => app.import_payments_csv(ctx.org(), &file, &bytes, &actor).await?,
        Kind::Statement | Kind::Invoice => {
            return Err(Failure::new(exit::USAGE, "statements and e-invoices are not CSV files"));
        }
    };
    progress.show(1, 1);
    progress.done();
    print_import(ctx, &report)?;
    Ok(if report.rejected() {
        exit::REJECTED
    } else if report.conflicts > 0 {
        exit::CONFLICTS
    } else {
        exit::OK
    })
}

fn print_import(ctx: &Ctx, report: &ImportReport) -> Result<(), Failure> {
    if ctx.json {
        return ctx.print(report, String::new);
    }
    let mut out = std::io::stdout().lock();
    if report.rejected() {
        let mut err = std::io::stderr().lock();
        for e in &report.errors {
            writeln!(err, "{e}")?;
        }
        writeln!(
            err,
            "{}: rejected, {} error(s); nothing was imported",
            report.file,
            report.errors.len()
        )?;
        return Ok(());
    }
    for c in &report.conflict_details {
        writeln!(out, "{c}")?;
    }
    let mut line = format!(
        "{}: {} created, {} updated, {} unchanged, {} conflicts",
        report.file, report.created, report.updated, report.unchanged, report.conflicts
    );
    if report.kind == "payments" || report.allocated > 0 {
        line.push_str(&format!(", {} allocations", report.allocated));
    }
    if report.references_generated > 0 {
        line.push_str(&format!(", {} payment references generated", report.references_generated));
    }
    writeln!(out, "{line}")?;
    Ok(())
}

async fn export(ctx: &Ctx, args: ExportArgs) -> Result<u8, Failure> {
    let app = ctx.app().await?;
    let to_stdout = args.file.as_os_str() == "-";
    let mut buffer: Vec<u8> = Vec::new();
    let rows = match args.kind {
        Kind::Debtors => app.export_debtors(ctx.org(), &mut buffer).await?,
        Kind::Invoices => app.export_invoices(ctx.org(), &mut buffer).await?,
        Kind::Payments => app.export_payments(ctx.org(), &mut buffer).await?,
        Kind::Statement | Kind::Invoice => {
            return Err(Failure::new(
                exit::USAGE,
                "statements and e-invoices are imported, not exported: export payments or invoices",
            ));
        }
    };
    if to_stdout {
        std::io::stdout().lock().write_all(&buffer)?;
    } else {
        // Write next to the target and rename, so a crash never leaves half a file behind.
        let tmp = args.file.with_extension("partial");
        std::fs::write(&tmp, &buffer).map_err(|e| {
            Failure::new(exit::FAILURE, format!("cannot write {}: {e}", tmp.display()))
        })?;
        std::fs::rename(&tmp, &args.file).map_err(|e| {
            Failure::new(exit::FAILURE, format!("cannot write {}: {e}", args.file.display()))
        })?;
        let summary = serde_json::json!({ "file": args.file.display().to_string(), "rows": rows });
        ctx.print(&summary, || format!("{}: {rows} rows written", args.file.display()))?;
    }
    Ok(exit::OK)
}

async fn report(ctx: &Ctx, r: ReportCommand) -> Result<u8, Failure> {
    let app = ctx.app().await?;
    match r {
        ReportCommand::Ageing { as_of, currency, buckets, debtor } => {
            let buckets = AgeingBuckets::parse(&buckets)
                .map_err(|e| Failure::new(exit::USAGE, format!("--buckets: {e}")))?;
            let currency = currency
                .map(|c| Currency::parse(&c))
                .transpose()
                .map_err(|e| Failure::new(exit::USAGE, format!("--currency: {e}")))?;
            let debtor_id = match &debtor {
                Some(number) => {
                    let org = app.resolve_organisation(ctx.org()).await?;
                    Some(app.debtor_id(org.id, number).await?)
                }
                None => None,
            };
            let rep = app.ageing(ctx.org(), as_of, currency, &buckets, debtor_id).await?;
            ctx.print(&rep, || {
                let mut s = format!("Ageing on {} ({})\n", rep.as_of, rep.currency);
                for b in &rep.buckets {
                    s.push_str(&format!("  {:<10} {:>16} {:>8}\n", b.label, b.amount, b.count));
                }
                s.push_str(&format!("  {:<10} {:>16}\n", "total", rep.total));
                s.push_str(&format!("  {:<10} {:>16}\n", "overdue", rep.overdue));
                s.push_str(&format!("  {:<10} {:>16}", "unapplied", rep.unapplied));
                s
            })?;
        }
        ReportCommand::Dso { as_of, period_days } => {
            let rep = app.dso(ctx.org(), as_of, period_days).await?;
            ctx.print(&rep, || {
                let show = |v: &Option<String>| v.clone().unwrap_or_else(|| "n/a".into());
                format!(
                    "DSO on {}: countback {} days, standard {} days ({}-day period); receivables {} {}{}",
                    rep.as_of,
                    show(&rep.countback_days),
                    show(&rep.standard_days),
                    rep.period_days,
                    rep.receivables,
                    rep.currency,
                    if rep.capped { " (countback capped: not enough sales history)" } else { "" }
                )
            })?;
        }
        ReportCommand::Behaviour { from, to, debtor } => {
            let org = app.resolve_organisation(ctx.org()).await?;
            let today = app.today(&org.organisation);
            let to = to.unwrap_or(today);
            let from = from.unwrap_or_else(|| arflow_core::date::add_days(to, -365));
            let debtor_id = match &debtor {
                Some(number) => Some(app.debtor_id(org.id, number).await?),
                None => None,
            };
            let rep = app.payment_behaviour(ctx.org(), from, to, debtor_id).await?;
            ctx.print(&rep, || {
                let show = |v: &Option<String>| v.clone().unwrap_or_else(|| "n/a".into());
                format!(
                    "{} invoices settled {} – {}: {} days to pay on average, {} days late on average \
                     ({} weighted by amount); {} paid late",
                    rep.count,
                    rep.from,
                    rep.to,
                    show(&rep.average_days_to_pay),
                    show(&rep.average_days_late),
                    show(&rep.weighted_average_days_late),
                    rep.paid_late_count
                )
            })?;
        }
    }
    Ok(exit::OK)
}

fn scheme(s: SchemeArg) -> ReferenceScheme {
    match s {
        SchemeArg::Ogm => ReferenceScheme::Ogm,
        SchemeArg::Rf => ReferenceScheme::Rf,
        SchemeArg::Nl => ReferenceScheme::Nl,
    }
}

#[derive(Serialize)]
struct CheckedReference {
    valid: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    scheme: Option<ReferenceScheme>,
    #[serde(skip_serializing_if = "Option::is_none")]
    normalized: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    display: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

async fn reference_cmd(ctx: &Ctx, r: ReferenceCommand) -> Result<u8, Failure> {
    match r {
        ReferenceCommand::Check { value } => {
            let checked = match reference::check(&value) {
                Ok(p) => CheckedReference {
                    valid: true,
                    scheme: Some(p.scheme),
                    display: Some(p.display()),
                    normalized: Some(p.normalized),
                    error: None,
                },
                Err(e) => CheckedReference {
                    valid: false,
                    scheme: None,
                    normalized: None,
                    display: None,
                    error: Some(e.to_string()),
                },
            };
            ctx.print(&checked, || match (&checked.scheme, &checked.display, &checked.error) {
                (Some(s), Some(d), _) => format!("valid {} reference: {d}", s.label()),
                (_, _, Some(e)) => format!("invalid: {e}"),
                _ => "invalid".into(),
            })?;
            Ok(if checked.valid { exit::OK } else { exit::REJECTED })
        }
        ReferenceCommand::New { scheme: s, base } => {
            let p = match base {
                Some(b) => {
                    let s = s
                        .map(scheme)
                        .ok_or_else(|| Failure::new(exit::USAGE, "--base needs --scheme"))?;
                    reference::generate(s, b)
                        .map_err(|e| Failure::new(exit::REJECTED, e.to_string()))?
                }
                None => {
                    let app = ctx.app().await?;
                    app.next_reference(ctx.org(), s.map(scheme)).await?
                }
            };
            let out = serde_json::json!({ "scheme": p.scheme, "normalized": p.normalized, "display": p.display() });
            ctx.print(&out, || p.display())?;
            Ok(exit::OK)
        }
    }
}

async fn healthcheck(ctx: &Ctx, args: HealthArgs) -> Result<u8, Failure> {
    let url = args.url.unwrap_or_else(|| {
        format!("http://{}", ctx.config.addr.map_or(ADDR_DEFAULT.to_owned(), |a| a.to_string()))
    });
    match http_status(&url, "/healthz").await {
        Ok(200) => {
            ctx.print(&serde_json::json!({ "status": "ok", "url": url }), || format!("ok: {url}"))?;
            Ok(exit::OK)
        }
        Ok(code) => Err(Failure::new(exit::UNHEALTHY, format!("{url} answered HTTP {code}"))),
        Err(e) => Err(Failure::new(exit::UNHEALTHY, format!("{url}: {e}"))),
    }
}

/// The status code of `GET {base}{path}` over plain HTTP/1.1, within five seconds.
async fn http_status(base: &str, path: &str) -> Result<u16, String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = base.strip_prefix("http://").ok_or("only http:// URLs are supported")?;
    let host = rest.trim_end_matches('/');
    let work = async {
        let mut stream = tokio::net::TcpStream::connect(host).await.map_err(|e| e.to_string())?;
        let request = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await.map_err(|e| e.to_string())?;
        let mut head = vec![0u8; 64];
        let n = stream.read(&mut head).await.map_err(|e| e.to_string())?;
        let line = String::from_utf8_lossy(head.get(..n).unwrap_or_default()).to_string();
        line.split_whitespace()
            .nth(1)
            .and_then(|c| c.parse::<u16>().ok())
            .ok_or_else(|| format!("not an HTTP answer: {line:?}"))
    };
    tokio::time::timeout(std::time::Duration::from_secs(5), work)
        .await
        .map_err(|_| "no answer within 5 s".to_owned())?
}

async fn bench(ctx: &Ctx, b: BenchCommand) -> Result<u8, Failure> {
    crate::bench::run(&ctx.db, ctx.org(), ctx.json, b).await
}

async fn dunning_cmd(ctx: &Ctx, c: DunningCommand) -> Result<u8, Failure> {
    let app = ctx.app().await?;
    let org = app.resolve_organisation(ctx.org()).await?;
    let gate = arflow_core::dunning::LegalGate { creditor: org.organisation.country };
    let report = match c {
        DunningCommand::Run { as_of, dry_run, smtp } => {
            let mailer = if dry_run { None } else { mailer(&smtp)? };
            if let Some(mailer) = mailer {
                // Delivered while the run renders the rest.
                let (report, delivery) = app
                    .dunning_run_delivering(
                        ctx.org(),
                        as_of,
                        &gate,
                        &Actor::cli(),
                        &mailer,
                        100_000,
                    )
                    .await?;
                let mut value = serde_json::to_value(&report).unwrap_or_default();
                value["delivery"] = serde_json::to_value(&delivery).unwrap_or_default();
                ctx.print(&value, || {
                    format!(
                        "dunning run on {}: {} actions, {} refused, {} skipped; e-mail: {} sent, {} deferred, {} failed",
                        report.as_of,
                        report.actions.len(),
                        report.refused.len(),
                        report.skipped.len(),
                        delivery.sent,
                        delivery.deferred,
                        delivery.failed
                    )
                })?;
                return Ok(exit::OK);
            }
            app.dunning_run(ctx.org(), as_of, dry_run, &gate, &Actor::cli()).await?
        }
        DunningCommand::Preview { as_of } => app.dunning_preview(ctx.org(), as_of, &gate).await?,
        DunningCommand::Policies => {
            let policies = app.dunning_policies(ctx.org()).await?;
            ctx.print(&policies, || {
                policies
                    .iter()
                    .map(|p| {
                        let steps: Vec<&str> = p.steps.iter().map(|s| s.key.as_str()).collect();
                        format!("{:<14} v{:<3} {} — {}", p.id, p.version, p.name, steps.join(" → "))
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            })?;
            return Ok(exit::OK);
        }
        DunningCommand::Policy(c) => return dunning_policy_cmd(ctx, &app, c).await,
        DunningCommand::Assignments(c) => return dunning_assignments_cmd(ctx, &app, c).await,
        DunningCommand::Override { invoice, policy, clear } => {
            let result = if clear || policy.is_some() {
                let actor = Actor::cli();
                app.set_invoice_policy(ctx.org(), &invoice, policy.as_deref(), &actor).await?
            } else {
                app.invoice_policy(ctx.org(), &invoice).await?
            };
            ctx.print(&result, || match &result.policy {
                Some(p) => format!("{}: policy {p} (overrides the debtor's)", result.invoice),
                None => format!("{}: the debtor's policy applies", result.invoice),
            })?;
            return Ok(exit::OK);
        }
    };
    ctx.print(&report, || {
        let mut s = format!(
            "dunning {} on {}: {} actions, {} refused, {} skipped",
            if report.dry_run { "preview" } else { "run" },
            report.as_of,
            report.actions.len(),
            report.refused.len(),
            report.skipped.len()
        );
        if report.already_ran {
            s.push_str(" (this date was run before: nothing done again)");
        }
        if report.uncertain_recovered > 0 {
            s.push_str(&format!(
                "; {} interrupted messages are now uncertain",
                report.uncertain_recovered
            ));
        }
        if let Some(p) = report.plans.as_ref().filter(|p| p.followed > 0) {
            let mails = p.reminders.iter().filter(|r| r.message_id.is_some()).count();
            s.push_str(&format!(
                "; payment plans: {} followed, {} completed, {} broken, {mails} instalment e-mails",
                p.followed,
                p.completed.len(),
                p.broken.len()
            ));
        }
        for a in &report.actions {
            let channels: Vec<&str> = a.channels.iter().map(|c| c.as_str()).collect();
            s.push_str(&format!(
                "\n  {:<10} {:<18} {:>12} {}  [{}]{}",
                a.debtor,
                a.step,
                a.open,
                a.invoices.join(","),
                channels.join(","),
                if a.approval { " needs approval" } else { "" }
            ));
        }
        for r in &report.refused {
            s.push_str(&format!("\n  refused {} {}: {}", r.debtor, r.step, r.reason));
        }
        s
    })?;
    Ok(exit::OK)
}

/// `dunning policy show|set`.
async fn dunning_policy_cmd(ctx: &Ctx, app: &App, c: DunningPolicyCommand) -> Result<u8, Failure> {
    match c {
        DunningPolicyCommand::Show { id } => {
            // The JSON either way: it is what `policy set` reads back.
            let policy = app.dunning_policy(ctx.org(), &id).await?;
            ctx.print(&policy, || serde_json::to_string_pretty(&policy).unwrap_or_default())?;
        }
        DunningPolicyCommand::Set { file } => {
            let policy: arflow_core::dunning::Policy = read_edit(&file)?;
            let (policy, outcome) = app
                .put_dunning_policy(ctx.org(), policy, &Actor::cli())
                .await
                .map_err(with_field)?;
            let value = serde_json::json!({ "outcome": outcome, "policy": policy });
            ctx.print(&value, || match outcome {
                PolicySave::Stored => {
                    format!("stored policy {} version {}", policy.id, policy.version)
                }
                PolicySave::Unchanged => format!(
                    "policy {} is unchanged: version {} has these rules already",
                    policy.id, policy.version
                ),
            })?;
        }
    }
    Ok(exit::OK)
}

/// `dunning assignments show|set`.
async fn dunning_assignments_cmd(
    ctx: &Ctx,
    app: &App,
    c: DunningAssignmentsCommand,
) -> Result<u8, Failure> {
    match c {
        DunningAssignmentsCommand::Show => {
            let a = app.dunning_assignments(ctx.org()).await?;
            ctx.print(&a, || serde_json::to_string_pretty(&a).unwrap_or_default())?;
        }
        DunningAssignmentsCommand::Set { file } => {
            let input: arflow_app::dunning::AssignmentsInput = read_edit(&file)?;
            let a = app
                .put_dunning_assignments(ctx.org(), input.into(), &Actor::cli())
                .await
                .map_err(with_field)?;
            let rules =
                a.by_debtor.len() + a.by_segment.len() + a.by_country_kind.len() + a.by_kind.len();
            ctx.print(&a, || format!("stored the assignments: {rules} rules"))?;
        }
    }
    Ok(exit::OK)
}

/// Reads a policy or assignments file: TOML when it is named `*.toml`, else JSON. A field the
/// type does not have is an error (a misspelt field would otherwise be dropped in silence).
/// Every problem of the file exits 3, naming the file and, where the parser knows, the line.
fn read_edit<T: serde::de::DeserializeOwned + Serialize>(path: &Path) -> Result<T, Failure> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failure::new(exit::USAGE, format!("{}: {e}", path.display())))?;
    let rejected = |e: &dyn std::fmt::Display| {
        Failure::new(exit::REJECTED, format!("{}: {e}", path.display()))
    };
    let toml = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("toml"));
    let (read, input): (T, serde_json::Value) = if toml {
        let read = toml::from_str(&text).map_err(|e| rejected(&e))?;
        let value: toml::Value = toml::from_str(&text).map_err(|e| rejected(&e))?;
        (read, serde_json::to_value(value).map_err(|e| rejected(&e))?)
    } else {
        let read = serde_json::from_str(&text).map_err(|e| rejected(&e))?;
        (read, serde_json::from_str(&text).map_err(|e| rejected(&e))?)
    };
    match arflow_app::dunning::unknown_field(&input, &read) {
        Some(field) => Err(rejected(&format!("unknown field `{field}`"))),
        None => Ok(read),
    }
}

/// A use-case error whose message is prefixed with the field it is about.
fn with_field(e: arflow_app::AppError) -> Failure {
    let field = e.field().map(str::to_owned);
    let mut f = Failure::from(e);
    if let Some(field) = field {
        f.message = format!("{field}: {}", f.message);
    }
    f
}

/// The SMTP mailer the arguments describe, or `None` when no server is given.
fn mailer(a: &crate::cli::SmtpArgs) -> Result<Option<arflow_notify::email::Mailer>, Failure> {
    use arflow_notify::email::{Mailer, Security, SmtpConfig};
    let Some(server) = a.smtp.as_deref().filter(|s| !s.is_empty()) else { return Ok(None) };
    let usage = |m: String| Failure::new(exit::USAGE, m);
    let (host, port) = server
        .rsplit_once(':')
        .and_then(|(h, p)| Some((h.to_owned(), p.parse::<u16>().ok()?)))
        .ok_or_else(|| usage(format!("--smtp: '{server}' is not HOST:PORT")))?;
    let security = match a.smtp_security.as_str() {
        "plain" => Security::Plain,
        "starttls" => Security::StartTls,
        "tls" => Security::Tls,
        other => {
            return Err(usage(format!("--smtp-security: '{other}' is not plain, starttls or tls")));
        }
    };
    let from = a
        .smtp_from
        .as_deref()
        .ok_or_else(|| usage("--smtp-from (ARFLOW_SMTP_FROM) is needed to send e-mail".into()))?;
    let from = from.parse().map_err(|e| usage(format!("--smtp-from: '{from}': {e}")))?;
    let mut config = SmtpConfig::new(host, port, security, from);
    // Enough connections to keep a local relay busy while the next messages are prepared.
    config.connections_max = 8;
    config.username = a.smtp_user.clone();
    config.password = a.smtp_password.clone();
    Mailer::new(config).map(Some).map_err(|e| usage(format!("SMTP: {e}")))
}

async fn template_cmd(ctx: &Ctx, c: crate::cli::TemplateCommand) -> Result<u8, Failure> {
    use crate::cli::TemplateCommand as T;
    let app = ctx.app().await?;
    let read = |p: &std::path::Path| {
        std::fs::read_to_string(p)
            .map_err(|e| Failure::new(exit::USAGE, format!("{}: {e}", p.display())))
    };
    match c {
        T::List => {
            let list = app.list_templates(ctx.org()).await?;
            ctx.print(&list, || {
                list.iter()
                    .map(|t| {
                        format!(
                            "{:<28} {}  {}{}",
                            t.step.as_str(),
                            t.language.as_str(),
                            t.subject,
                            if t.edited { "   (edited)" } else { "" }
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            })?;
        }
        T::Show { step, language } => {
            let list = app.list_templates(ctx.org()).await?;
            let t = list
                .into_iter()
                .find(|t| t.step.as_str() == step && t.language.as_str() == language)
                .ok_or_else(|| {
                    Failure::new(exit::NOT_FOUND, format!("no template {step} in {language}"))
                })?;
            ctx.print(&t, || {
                format!(
                    "subject: {}\n\n{}{}",
                    t.subject,
                    t.text,
                    t.html.as_deref().map(|h| format!("\n--- html ---\n{h}")).unwrap_or_default()
                )
            })?;
        }
        T::Set { step, language, subject_file, text_file, html_file } => {
            let text = arflow_notify::templates::TemplateText {
                subject: read(&subject_file)?.trim_end().to_owned(),
                text: read(&text_file)?,
                html: html_file.as_deref().map(read).transpose()?,
            };
            let t = app.put_template(ctx.org(), &step, &language, text, &Actor::cli()).await?;
            ctx.print(&t, || format!("saved {} in {}", t.step.as_str(), t.language.as_str()))?;
        }
        T::Reset { step, language } => {
            app.reset_template(ctx.org(), &step, &language, &Actor::cli()).await?;
            ctx.print(&serde_json::json!({ "reset": true }), || {
                format!("{step} in {language} is the built-in text again")
            })?;
        }
        T::Preview { step, language, debtor_kind } => {
            let kind = debtor_kind
                .parse::<arflow_core::party::DebtorKind>()
                .map_err(|e| Failure::new(exit::USAGE, format!("--debtor-kind: {e}")))?;
            let p = app.preview_template(ctx.org(), &step, &language, kind).await?;
            ctx.print(&p, || format!("subject: {}\n\n{}", p.rendered.subject, p.rendered.text))?;
        }
    }
    Ok(exit::OK)
}

async fn charges_cmd(
    ctx: &Ctx,
    invoice: &str,
    as_of: Option<jiff::civil::Date>,
) -> Result<u8, Failure> {
    let app = ctx.app().await?;
    let report = app.invoice_charges(ctx.org(), invoice, as_of).await?;
    ctx.print(&report, || {
        let mut s = format!(
            "invoice {} ({}) on {}: principal {} {}, still open {}",
            report.invoice,
            report.debtor,
            report.as_of,
            report.currency,
            report.principal,
            report.principal_open
        );
        for c in &report.charges {
            s.push_str(&format!(
                "\n  {:<17} {:>10}  {} — {}",
                c.kind.as_str(),
                c.amount,
                c.explanation.article,
                c.explanation.text
            ));
        }
        for w in &report.withheld {
            s.push_str(&format!("\n  withheld ({}): {}", w.rule, w.reason));
        }
        s.push_str(&format!("\n  total due {} {}", report.currency, report.total_due));
        s
    })?;
    Ok(exit::OK)
}

async fn outbox_cmd(ctx: &Ctx, c: OutboxCommand) -> Result<u8, Failure> {
    let app = ctx.app().await?;
    let (status, limit) = match c {
        OutboxCommand::List { status, limit } => (status, limit),
        OutboxCommand::Send { smtp, limit } => {
            let mailer = mailer(&smtp)?.ok_or_else(|| {
                Failure::new(exit::USAGE, "outbox send needs --smtp HOST:PORT (or ARFLOW_SMTP)")
            })?;
            let report = app.deliver_outbox(ctx.org(), &mailer, limit).await?;
            ctx.print(&report, || {
                let mut s = format!(
                    "{} sent, {} deferred (kept for the next send), {} failed (each gave a task)",
                    report.sent, report.deferred, report.failed
                );
                for e in &report.errors {
                    s.push_str(&format!("\n  #{} {}: {}", e.message, e.recipient, e.error));
                }
                s
            })?;
            return Ok(if report.failed > 0 { exit::FAILURE } else { exit::OK });
        }
        OutboxCommand::Attachment { id, index, out } => {
            let a = app.message_attachment(ctx.org(), id, index).await?;
            let path = out.unwrap_or_else(|| {
                // The stored name, without any directory part.
                let name: String = a
                    .file_name
                    .chars()
                    .map(|c| if c == '/' || c == '\\' { '_' } else { c })
                    .collect();
                std::path::PathBuf::from(name)
            });
            std::fs::write(&path, &a.content).map_err(|e| {
                Failure::new(exit::FAILURE, format!("cannot write {}: {e}", path.display()))
            })?;
            let value = serde_json::json!({
                "file": path.display().to_string(), "content_type": a.content_type,
                "bytes": a.content.len(),
            });
            ctx.print(&value, || {
                format!("wrote {} ({}, {} bytes)", path.display(), a.content_type, a.content.len())
            })?;
            return Ok(exit::OK);
        }
    };
    let status = status
        .map(|s| {
            arflow_store::MessageStatus::parse(&s).ok_or_else(|| {
                Failure::new(
                    exit::USAGE,
                    format!(
                        "--status: '{s}' is not planned, sending, sent, uncertain, failed or held"
                    ),
                )
            })
        })
        .transpose()?;
    let list = app.outbox(ctx.org(), status, arflow_store::Page::first(limit)).await?;
    ctx.print(&list, || {
        if list.is_empty() {
            return "the outbox is empty".into();
        }
        list.iter()
            .map(|m| {
                format!(
                    "#{:<6} {:<9} {:<10} {:<30} {} ({} attachment(s))",
                    m.id,
                    m.status.as_str(),
                    m.debtor_number,
                    m.message.recipient,
                    m.message.subject,
                    m.message.attachments.len()
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    })?;
    Ok(exit::OK)
}

async fn task_cmd(ctx: &Ctx, c: TaskCommand) -> Result<u8, Failure> {
    let app = ctx.app().await?;
    match c {
        TaskCommand::List { all, owner, limit } => {
            let list = app
                .tasks(ctx.org(), all, owner.as_deref(), arflow_store::Page::first(limit))
                .await?;
            ctx.print(&list, || {
                if list.is_empty() {
                    return "no open tasks".into();
                }
                list.iter()
                    .map(|t| {
                        format!(
                            "#{:<6} {:<9} due {} {:<10} {}{}",
                            t.id,
                            t.kind,
                            t.due_on,
                            t.owner.as_deref().unwrap_or("-"),
                            t.title,
                            t.outcome.as_deref().map(|o| format!(" [{o}]")).unwrap_or_default()
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            })?;
        }
        TaskCommand::Done { id, outcome, promised_on, note } => {
            app.complete_task(ctx.org(), id, &outcome, promised_on, note.as_deref(), &Actor::cli())
                .await?;
            ctx.print(&serde_json::json!({ "task": id, "outcome": outcome }), || {
                format!("task #{id} done: {outcome}")
            })?;
        }
    }
    Ok(exit::OK)
}

/// `plan propose|list|show|accept|reject`.
async fn plan_cmd(ctx: &Ctx, c: PlanCommand) -> Result<u8, Failure> {
    let app = ctx.app().await?;
    let org = app.resolve_organisation(ctx.org()).await?;
    let tz = org.organisation.time_zone.clone();
    let actor = Actor::cli();
    match c {
        PlanCommand::Propose { debtor, first_due, count, interval, start } => {
            let input = ProposalInput {
                first_due,
                count,
                interval: match interval {
                    IntervalArg::Monthly => Interval::Monthly,
                    IntervalArg::Weekly => Interval::Weekly,
                },
            };
            let proposed = if start {
                app.start_plan(org.id, &debtor, &input, &actor).await?
            } else {
                app.propose_plan(org.id, &debtor, &input, &actor, None).await?
            };
            ctx.print(&proposed, || {
                let outcome = match (&proposed.decision, proposed.task_id) {
                    (Decision::AutoAccept, _) => "active: within the rules, it started at once",
                    (Decision::NeedsPerson(_), _) if start => {
                        "active: beyond the rules, started at once as you decided"
                    }
                    (Decision::NeedsPerson(_), Some(_)) => {
                        "proposed: a person accepts or rejects it (see the task)"
                    }
                    (Decision::NeedsPerson(_), None) => "proposed: a person accepts or rejects it",
                };
                let task = proposed.task_id.map(|t| format!(" Task #{t}.")).unwrap_or_default();
                format!(
                    "plan {} for {}: {outcome}\n{}{task}\n{}",
                    proposed.plan.id,
                    proposed.plan.debtor_number,
                    proposed.explanation,
                    plan_text(&proposed.plan, &tz)
                )
            })?;
        }
        PlanCommand::List { debtor, state, limit } => {
            let mut plans = match &debtor {
                Some(number) => {
                    let mut of = app.plans_of(org.id, number).await?;
                    of.reverse();
                    of
                }
                None => app.list_plans(org.id, state, arflow_store::Page::first(limit)).await?,
            };
            plans.retain(|p| state.is_none_or(|s| p.state == s));
            plans.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
            ctx.print(&plans, || {
                if plans.is_empty() {
                    return "no payment plans".into();
                }
                plans.iter().map(plan_line).collect::<Vec<_>>().join("\n")
            })?;
        }
        PlanCommand::Show { id } => {
            let plan = app.plan_view(org.id, id).await?;
            ctx.print(&plan, || plan_text(&plan, &tz))?;
        }
        PlanCommand::Accept { id } => {
            let plan = app.accept_plan(org.id, id, &actor).await?;
            ctx.print(&plan, || format!("plan {id} accepted\n{}", plan_text(&plan, &tz)))?;
        }
        PlanCommand::Reject { id } => {
            let plan = app.reject_plan(org.id, id, &actor).await?;
            ctx.print(&plan, || format!("plan {id} rejected\n{}", plan_text(&plan, &tz)))?;
        }
    }
    Ok(exit::OK)
}

/// One plan on one line: `#12  D1004  active  EUR 1234.56 in 6 monthly, paid 200.00; …`, with
/// where an active plan stands today.
fn plan_line(p: &PlanView) -> String {
    let now = match (p.state, p.ended_on) {
        (PlanState::Active, _) => p.explanation.clone(),
        (PlanState::Proposed, _) => "waiting for a person to accept or reject it.".to_owned(),
        (_, Some(on)) => format!("ended on {on}."),
        (_, None) => "ended.".to_owned(),
    };
    format!(
        "#{:<6} {:<10} {:<9} {} {:>12} in {} {}, paid {}; {now}",
        p.id,
        p.debtor_number,
        p.state.as_str(),
        p.total.currency(),
        p.total,
        p.instalments.len(),
        p.interval.as_str(),
        p.paid,
    )
}

/// A plan for people: the line, then the schedule, the invoices and who decided when.
fn plan_text(p: &PlanView, tz: &str) -> String {
    let mut s = plan_line(p);
    for i in &p.instalments {
        s.push_str(&format!(
            "\n  {:>2}. {} {:>12}  {}",
            i.position + 1,
            i.due,
            i.amount,
            i.reference_display
        ));
    }
    let invoices: Vec<String> =
        p.invoices.iter().map(|i| format!("{} (open {})", i.number, i.open)).collect();
    s.push_str(&format!("\n  invoices: {}", invoices.join(", ")));
    s.push_str(&format!(
        "\n  proposed by {} on {}",
        p.created_by,
        arflow_app::local_time_in(p.created_at, tz)
    ));
    if let (Some(by), Some(at)) = (&p.decided_by, p.decided_at) {
        s.push_str(&format!("; decided by {by} on {}", arflow_app::local_time_in(at, tz)));
    }
    s
}
