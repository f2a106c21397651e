//! Inbound money and invoices on the command line: `parse`, `import statement|invoice`, `match`.

use std::io::Write;
use std::path::Path;

use arflow_app::reconcile::StatementImport;
use arflow_app::{Actor, App, AppError, sha256_hex};
use arflow_core::money::Money;
use arflow_core::reconcile::Settings;
use arflow_formats::statement::csv_mapped::{self, CsvMapping};
use arflow_formats::statement::{self, ParsedStatements, StatementError};
use arflow_store::{Page, StoredOrganisation};

use crate::cli::{MappingCommand, StatementArgs};
use crate::{Failure, exit};

/// Reads a mapping file: JSON when it starts with `{`, TOML otherwise.
pub fn read_mapping_file(path: &Path) -> Result<CsvMapping, Failure> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failure::new(exit::FAILURE, format!("cannot read {}: {e}", path.display())))?;
    let parsed: Result<CsvMapping, String> = if text.trim_start().starts_with('{') {
        serde_json::from_str(&text).map_err(|e| e.to_string())
    } else {
        toml::from_str(&text).map_err(|e| e.to_string())
    };
    parsed.map_err(|e| {
        Failure::new(exit::REJECTED, format!("{}: not a valid column mapping: {e}", path.display()))
    })
}

/// What `--mapping` (or `--bank`) names: a file when one exists at that path, otherwise a
/// mapping name.
enum MappingArg<'a> {
    File(&'a Path),
    Name(&'a str),
}

fn mapping_arg(args: &StatementArgs) -> Option<MappingArg<'_>> {
    if let Some(name) = &args.bank {
        return Some(MappingArg::Name(name));
    }
    let value = args.mapping.as_deref()?;
    let path = Path::new(value);
    Some(if path.is_file() { MappingArg::File(path) } else { MappingArg::Name(value) })
}

/// The mapping `parse statement` reads with: a file or a built-in mapping (it opens no
/// database, so an organisation's saved mappings are not at hand).
pub fn mapping(args: &StatementArgs) -> Result<Option<CsvMapping>, Failure> {
    match mapping_arg(args) {
        None => Ok(None),
        Some(MappingArg::File(path)) => read_mapping_file(path).map(Some),
        Some(MappingArg::Name(name)) => csv_mapped::builtin(name).map(Some).ok_or_else(|| {
            Failure::new(
                exit::USAGE,
                format!(
                    "no file '{name}' and no built-in CSV mapping by that name; `parse` opens no \
                     database: for a saved mapping, `arflow mapping show {name} > FILE` gives a file"
                ),
            )
        }),
    }
}

/// The mapping `import statement` reads with: a file, or the organisation's saved mapping by
/// that name, else a built-in one.
async fn mapping_of(
    app: &App,
    org: &StoredOrganisation,
    args: &StatementArgs,
) -> Result<Option<CsvMapping>, Failure> {
    match mapping_arg(args) {
        None => Ok(None),
        Some(MappingArg::File(path)) => read_mapping_file(path).map(Some),
        Some(MappingArg::Name(name)) => {
            app.statement_mapping(org, name).await.map(|v| Some(v.mapping)).map_err(|e| match e {
                AppError::NotFound { .. } => Failure::new(
                    exit::NOT_FOUND,
                    format!(
                        "no file '{name}' and no saved or built-in CSV mapping by that name \
                         (`arflow mapping list`)"
                    ),
                ),
                e => Failure::from(e),
            })
        }
    }
}

/// `mapping list|show|save|delete`.
pub async fn mapping_command(
    app: &App,
    org: Option<&str>,
    command: MappingCommand,
    json: bool,
) -> Result<u8, Failure> {
    let org = app.resolve_organisation(org).await?;
    let mut out = std::io::stdout().lock();
    match command {
        MappingCommand::List => {
            let list = app.statement_mappings(&org).await?;
            if json {
                writeln!(out, "{}", pretty(&list)?)?;
            } else {
                for m in &list {
                    let kind = if m.builtin { "built-in" } else { "saved" };
                    writeln!(out, "{:<24} {:<9} {}", m.name, kind, m.mapping.name)?;
                }
            }
        }
        MappingCommand::Show { name } => {
            let view = app.statement_mapping(&org, &name).await?;
            if json {
                writeln!(out, "{}", pretty(&view)?)?;
            } else {
                writeln!(out, "{}", pretty(&view.mapping)?)?;
            }
        }
        MappingCommand::Save { name, file } => {
            let mapping = read_mapping_file(&file)?;
            let view = app
                .put_statement_mapping(&org, &name, mapping, &Actor::cli())
                .await
                .map_err(|e| match e {
                    AppError::Rejected(problems) => {
                        let file = file.display();
                        let mut lines: Vec<String> =
                            problems.iter().map(|p| format!("{file}: {p}")).collect();
                        lines.push(format!("{file}: rejected; mapping '{name}' was not saved"));
                        Failure::new(exit::REJECTED, lines.join("\n"))
                    }
                    e => Failure::from(e),
                })?;
            if json {
                writeln!(out, "{}", pretty(&view)?)?;
            } else {
                writeln!(out, "saved mapping {} ({})", view.name, view.mapping.name)?;
            }
        }
        MappingCommand::Delete { name } => {
            app.delete_statement_mapping(&org, &name, &Actor::cli()).await?;
            if json {
                writeln!(out, "{}", pretty(&serde_json::json!({ "deleted": name }))?)?;
            } else {
                writeln!(out, "deleted mapping {name}")?;
            }
        }
    }
    Ok(exit::OK)
}

fn pretty<T: serde::Serialize>(value: &T) -> Result<String, Failure> {
    serde_json::to_string_pretty(value).map_err(|e| Failure::new(exit::FAILURE, e.to_string()))
}

/// The matcher's settings from the flags.
pub fn settings(args: &StatementArgs) -> Result<Settings, Failure> {
    let tolerance = Money::parse(&args.tolerance, arflow_core::money::Currency::EUR)
        .map_err(|e| Failure::new(exit::USAGE, format!("--tolerance '{}': {e}", args.tolerance)))?;
    if tolerance.is_negative() {
        return Err(Failure::new(exit::USAGE, "--tolerance cannot be negative"));
    }
    Ok(Settings {
        tolerance_minor: tolerance.minor(),
        auto_threshold: args.auto_threshold,
        ..Settings::default()
    })
}

/// Reads a statement file, or every problem in it as `FILE:LINE: field: reason`.
pub fn read_statement(
    path: &Path,
    bytes: &[u8],
    mapping: Option<&CsvMapping>,
) -> Result<ParsedStatements, Failure> {
    statement::parse_any(bytes, mapping).map_err(|e| rejected(path, &e))
}

fn rejected(path: &Path, e: &StatementError) -> Failure {
    let file = path.display().to_string();
    let mut lines: Vec<String> = e.problems.iter().map(|p| p.render(&file)).collect();
    lines.push(format!("{file}: rejected, {} problem(s); nothing was read", e.problems.len()));
    Failure::new(exit::REJECTED, lines.join("\n"))
}

/// `parse statement FILE`.
pub fn parse_statement(path: &Path, args: &StatementArgs, json: bool) -> Result<u8, Failure> {
    let bytes = read(path)?;
    let mapping = mapping(args)?;
    let parsed = read_statement(path, &bytes, mapping.as_ref())?;
    let mut out = std::io::stdout().lock();
    if json {
        let s = serde_json::to_string_pretty(&parsed)
            .map_err(|e| Failure::new(exit::FAILURE, e.to_string()))?;
        writeln!(out, "{s}")?;
        return Ok(exit::OK);
    }
    writeln!(
        out,
        "{}: {} ({} statement(s))",
        path.display(),
        parsed.message,
        parsed.statements.len()
    )?;
    for st in &parsed.statements {
        let bal = |b: Option<&statement::Balance>| {
            b.map(|b| statement::money_decimal(b.amount)).unwrap_or_else(|| "-".into())
        };
        writeln!(
            out,
            "  {} {} {}: opening {}, closing {}, {} entries, balance check {}",
            st.account,
            st.currency,
            st.id.as_deref().unwrap_or(""),
            bal(st.opening_balance.as_ref()),
            bal(st.closing_balance.as_ref()),
            st.entries.len(),
            match st.balance_check {
                statement::BalanceCheck::Ok => "ok".to_owned(),
                statement::BalanceCheck::NotApplicable => "n/a".to_owned(),
                statement::BalanceCheck::Mismatch { computed, .. } =>
                    format!("MISMATCH (entries give {})", statement::money_decimal(computed)),
            }
        )?;
        for e in &st.entries {
            writeln!(
                out,
                "    {} {:>12} {:<24} {}",
                e.booking_date,
                statement::money_decimal(e.amount),
                e.counterparty_name.as_deref().unwrap_or("").chars().take(24).collect::<String>(),
                e.reference.as_ref().map(|r| r.value.clone()).unwrap_or_else(|| e
                    .remittance
                    .chars()
                    .take(60)
                    .collect()),
            )?;
        }
    }
    for w in &parsed.warnings {
        writeln!(out, "warning: {}", w.render(&path.display().to_string()))?;
    }
    Ok(exit::OK)
}

/// `import statement FILE…`: each file all or nothing, in the order given.
pub async fn import_statements(
    app: &App,
    org: Option<&str>,
    files: &[std::path::PathBuf],
    args: &StatementArgs,
    json: bool,
) -> Result<u8, Failure> {
    let org = app.resolve_organisation(org).await?;
    let mapping = mapping_of(app, &org, args).await?;
    let settings = settings(args)?;
    let mut reports: Vec<StatementImport> = Vec::new();
    let mut code = exit::OK;
    for path in files {
        let bytes = read(path)?;
        let parsed = match read_statement(path, &bytes, mapping.as_ref()) {
            Ok(p) => p,
            Err(f) => {
                // Earlier files stay imported; say so, then stop.
                if !reports.is_empty() {
                    print_statement_reports(&reports, json)?;
                }
                return Err(f);
            }
        };
        let file = path.display().to_string();
        let report = app
            .import_statements(&org, &file, &sha256_hex(&bytes), &parsed, &settings, &Actor::cli())
            .await?;
        if report.conflicts_with_stored > 0 {
            code = exit::CONFLICTS;
        }
        reports.push(report);
    }
    print_statement_reports(&reports, json)?;
    Ok(code)
}

/// The JSON contract of `import statement --json`: the totals at the top, one report per file.
#[derive(serde::Serialize)]
struct ImportTotals<'a> {
    entries: u64,
    created: u64,
    already_imported: u64,
    conflicts_with_stored: u64,
    matched_automatically: u64,
    to_review: u64,
    unmatched: u64,
    ignored: u64,
    reversals: u64,
    files: &'a [StatementImport],
}

fn print_statement_reports(reports: &[StatementImport], json: bool) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    if json {
        let sum = |f: fn(&StatementImport) -> u64| reports.iter().map(f).sum::<u64>();
        let totals = ImportTotals {
            entries: sum(|r| r.entries),
            created: sum(|r| r.created),
            already_imported: sum(|r| r.already_imported),
            conflicts_with_stored: sum(|r| r.conflicts_with_stored),
            matched_automatically: sum(|r| r.matched_automatically),
            to_review: sum(|r| r.to_review),
            unmatched: sum(|r| r.unmatched),
            ignored: sum(|r| r.ignored),
            reversals: sum(|r| r.reversals),
            files: reports,
        };
        let s = serde_json::to_string_pretty(&totals)
            .map_err(|e| Failure::new(exit::FAILURE, e.to_string()))?;
        writeln!(out, "{s}")?;
        return Ok(());
    }
    for r in reports {
        for m in &r.balance_mismatches {
            writeln!(out, "{}: warning: {m}", r.file)?;
        }
        writeln!(
            out,
            "{}: {} {} entries: {} created, {} already imported, {} conflicting with stored; \
             {} matched automatically, {} to review, {} unmatched, {} reversals, {} not ours",
            r.file,
            r.message,
            r.entries,
            r.created,
            r.already_imported,
            r.conflicts_with_stored,
            r.matched_automatically,
            r.to_review,
            r.unmatched,
            r.reversals,
            r.ignored
        )?;
    }
    Ok(())
}

/// `match review|accept|reject`.
pub async fn match_command(
    app: &App,
    org: Option<&str>,
    command: crate::cli::MatchCommand,
    json: bool,
) -> Result<u8, Failure> {
    use crate::cli::MatchCommand;
    let org = app.resolve_organisation(org).await?;
    let mut out = std::io::stdout().lock();
    match command {
        MatchCommand::Review { all, limit } => {
            let items = app.review_queue(&org, all, Page::first(limit)).await?;
            if json {
                let s = serde_json::to_string_pretty(&items)
                    .map_err(|e| Failure::new(exit::FAILURE, e.to_string()))?;
                writeln!(out, "{s}")?;
                return Ok(exit::OK);
            }
            if items.is_empty() {
                writeln!(out, "nothing to review")?;
            }
            for item in &items {
                let e = &item.entry;
                writeln!(
                    out,
                    "#{} {} {} {} {} — {}",
                    e.id,
                    e.booking_date,
                    e.amount,
                    e.counterparty_name.as_deref().unwrap_or("?"),
                    e.counterparty_iban.as_deref().unwrap_or(""),
                    e.reference.as_deref().unwrap_or(&e.remittance),
                )?;
                for (i, s) in item.suggestions.iter().enumerate() {
                    let allocs: Vec<String> = s
                        .allocations
                        .iter()
                        .map(|a| format!("{} {}", a.invoice_number, a.amount))
                        .collect();
                    writeln!(
                        out,
                        "   {}. {}% by {}: {} — {}",
                        i + 1,
                        s.confidence,
                        s.rule,
                        allocs.join(", "),
                        s.explanation
                    )?;
                }
            }
            Ok(exit::OK)
        }
        MatchCommand::Accept { entry, choice, split } => {
            let mut pairs = Vec::with_capacity(split.len());
            for s in &split {
                let Some((number, amount)) = s.split_once('=') else {
                    return Err(Failure::new(
                        exit::USAGE,
                        format!("--split '{s}': expected INVOICE=AMOUNT"),
                    ));
                };
                let money = Money::parse(amount.trim(), org.organisation.currency)
                    .map_err(|e| Failure::new(exit::USAGE, format!("--split '{s}': {e}")))?;
                pairs.push((number.trim().to_owned(), money));
            }
            let choice = match choice {
                Some(0) => return Err(Failure::new(exit::USAGE, "--choice counts from 1")),
                Some(n) => Some(n - 1),
                None => None,
            };
            let done = app.accept_match(&org, entry, choice, &pairs, &Actor::cli()).await?;
            if json {
                let s = serde_json::to_string_pretty(&done)
                    .map_err(|e| Failure::new(exit::FAILURE, e.to_string()))?;
                writeln!(out, "{s}")?;
            } else {
                writeln!(out, "entry {entry} matched")?;
            }
            Ok(exit::OK)
        }
        MatchCommand::Reject { entry } => {
            let done = app.reject_match(&org, entry, &Actor::cli()).await?;
            if json {
                let s = serde_json::to_string_pretty(&done)
                    .map_err(|e| Failure::new(exit::FAILURE, e.to_string()))?;
                writeln!(out, "{s}")?;
            } else {
                writeln!(out, "entry {entry} rejected; the money stays unapplied")?;
            }
            Ok(exit::OK)
        }
    }
}

fn read(path: &Path) -> Result<Vec<u8>, Failure> {
    let meta = std::fs::metadata(path)
        .map_err(|e| Failure::new(exit::FAILURE, format!("cannot read {}: {e}", path.display())))?;
    if meta.len() > statement::MAX_FILE_BYTES as u64 {
        return Err(Failure::new(
            exit::REJECTED,
            format!(
                "{}: {} bytes; at most {} are accepted",
                path.display(),
                meta.len(),
                statement::MAX_FILE_BYTES
            ),
        ));
    }
    std::fs::read(path)
        .map_err(|e| Failure::new(exit::FAILURE, format!("cannot read {}: {e}", path.display())))
}

/// `parse invoice FILE`.
pub fn parse_invoice(path: &Path, json: bool) -> Result<u8, Failure> {
    let bytes = read(path)?;
    let file = path.display().to_string();
    let inv = arflow_formats::einvoice::parse(&bytes).map_err(|e| {
        let mut lines: Vec<String> = e.problems.iter().map(|p| p.render(&file)).collect();
        lines.push(format!(
            "{file}: rejected ({}), {} problem(s)",
            e.kind.as_str(),
            e.problems.len()
        ));
        Failure::new(exit::REJECTED, lines.join("\n"))
    })?;
    let mut out = std::io::stdout().lock();
    if json {
        let s = serde_json::to_string_pretty(&inv)
            .map_err(|e| Failure::new(exit::FAILURE, e.to_string()))?;
        writeln!(out, "{s}")?;
        return Ok(exit::OK);
    }
    let kind = match inv.kind {
        arflow_formats::einvoice::InvoiceKind::Invoice => "invoice",
        arflow_formats::einvoice::InvoiceKind::CreditNote => "credit note",
    };
    writeln!(out, "{file}: {kind} {} of {} ({:?})", inv.number, inv.issue_date, inv.syntax)?;
    writeln!(
        out,
        "  buyer {} {} {}",
        inv.buyer.name,
        inv.buyer.vat_number.as_deref().unwrap_or(""),
        inv.buyer.country.as_deref().unwrap_or("")
    )?;
    writeln!(
        out,
        "  payable {} {} due {}, reference {}, pay to {}",
        statement::money_decimal(inv.payable),
        inv.currency,
        inv.due_date.map(|d| d.to_string()).unwrap_or_else(|| "-".into()),
        inv.payment_reference.as_deref().unwrap_or("-"),
        inv.payee_iban.as_deref().unwrap_or("-"),
    )?;
    for w in &inv.warnings {
        writeln!(out, "warning: {}", w.render(&file))?;
    }
    Ok(exit::OK)
}

/// `import invoice FILE…`: each file on its own; a rejected file stops the rest.
pub async fn import_invoices(
    app: &App,
    org: Option<&str>,
    files: &[std::path::PathBuf],
    update: bool,
    json: bool,
) -> Result<u8, Failure> {
    let org = app.resolve_organisation(org).await?;
    let mut reports = Vec::new();
    let mut code = exit::OK;
    for path in files {
        let bytes = read(path)?;
        let file = path.display().to_string();
        let report = app.import_einvoice_file(&org, &file, &bytes, update, &Actor::cli()).await;
        let report = match report {
            Ok(r) => r,
            Err(e) => {
                if !reports.is_empty() {
                    print_invoice_reports(&reports, json)?;
                }
                return Err(e.into());
            }
        };
        if report.outcome == "conflicts_with_stored" {
            code = exit::CONFLICTS;
        }
        reports.push(report);
    }
    print_invoice_reports(&reports, json)?;
    Ok(code)
}

fn print_invoice_reports(
    reports: &[arflow_app::einvoice::InvoiceImport],
    json: bool,
) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    if json {
        let s = serde_json::to_string_pretty(&reports)
            .map_err(|e| Failure::new(exit::FAILURE, e.to_string()))?;
        writeln!(out, "{s}")?;
        return Ok(());
    }
    for r in reports {
        for w in &r.warnings {
            writeln!(out, "warning: {w}")?;
        }
        writeln!(
            out,
            "{}: {} {} for debtor {}{}: {}{}{}",
            r.file,
            r.kind.replace('_', " "),
            r.invoice,
            r.debtor,
            if r.debtor_created { " (new)" } else { "" },
            r.outcome.replace('_', " "),
            if r.fields.is_empty() { String::new() } else { format!(" ({})", r.fields.join(", ")) },
            if r.pdf_kept { ", PDF kept" } else { "" },
        )?;
    }
    Ok(())
}
