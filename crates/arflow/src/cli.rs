//! The command line: what `arflow --help` shows.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// arflow — accounts receivable and credit management.
///
/// Holds every debtor, invoice, credit note and payment of one or more organisations, imports
/// them from files, and reports what is open (ageing, DSO). Data lives in SQLite by default
/// (a file, no set-up) or in PostgreSQL.
#[derive(Debug, Parser)]
#[command(name = "arflow", version, about, long_about = None, after_help = EXIT_CODES)]
pub struct Cli {
    /// Database URL: sqlite://FILE or postgres://USER@HOST:PORT/DB [default: sqlite://arflow.db]
    #[arg(long, global = true, env = "ARFLOW_DB")]
    pub db: Option<String>,

    /// The organisation to work on (optional when there is only one).
    #[arg(long, global = true, env = "ARFLOW_ORG")]
    pub org: Option<String>,

    /// Print machine-readable JSON instead of text.
    #[arg(long, global = true)]
    pub json: bool,

    /// The address debtors reach arflow at (https://pay.example.nl): reminders then carry each
    /// debtor's personal portal link. `serve` defaults to the address it listens on.
    #[arg(long, global = true, env = "ARFLOW_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// Configuration file [default: ./arflow.toml when it exists].
    #[arg(long, global = true, env = "ARFLOW_CONFIG")]
    pub config: Option<PathBuf>,

    /// Work as if today were this date (from noon UTC on, the clock running as usual): what
    /// "today" means to plans, promises and defaults such as a run's date. For reproducible
    /// runs and simulations [default: the system clock].
    #[arg(long, global = true, env = "ARFLOW_TODAY", value_parser = parse_date)]
    pub today: Option<jiff::civil::Date>,

    #[command(subcommand)]
    pub command: Command,
}

pub const EXIT_CODES: &str = "\
Exit codes:
  0  success
  1  failure (database, file system, unexpected error)
  2  usage error (unknown command or flag, bad flag value)
  3  input rejected: nothing was changed (bad file rows, invalid value)
  4  import done, but rows conflicting with stored data were left as stored (use --update)
  5  not found (organisation, record)
  6  unhealthy (healthcheck)";

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server (REST API under /api/v1).
    Serve(ServeArgs),
    /// Create or upgrade the database schema.
    Migrate,
    /// Create a demo organisation with realistic, deterministic data.
    Demo(DemoArgs),
    /// Organisations.
    #[command(subcommand)]
    Org(OrgCommand),
    /// API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// People who sign in to the web application, and their roles.
    #[command(subcommand)]
    User(UserCommand),
    /// Import debtors, invoices (credit notes included) or payments from a CSV file; bank
    /// statements (camt.05x, MT940/MT942, CODA, mapped CSV) and e-invoices (UBL, CII, Factur-X).
    Import(ImportArgs),
    /// Read a bank statement or an e-invoice and print what arflow reads in it, without touching
    /// a database.
    #[command(subcommand)]
    Parse(ParseCommand),
    /// Bank entries waiting for a person: review, accept (also split), reject.
    #[command(subcommand)]
    Match(MatchCommand),
    /// Column mappings for banks' CSV statement exports: save once, import with --mapping NAME.
    #[command(subcommand)]
    Mapping(MappingCommand),
    /// Export debtors, invoices or payments to a CSV file that imports back unchanged.
    Export(ExportArgs),
    /// Reports: ageing, DSO, payment behaviour.
    #[command(subcommand)]
    Report(ReportCommand),
    /// Payment references: generate and check OGM/VCS, RF and Dutch betalingskenmerk.
    #[command(subcommand)]
    Reference(ReferenceCommand),
    /// Dunning: runs, previews, policies.
    #[command(subcommand)]
    Dunning(DunningCommand),
    /// Messages waiting in or sent from the outbox.
    #[command(subcommand)]
    Outbox(OutboxCommand),
    /// Message templates: show, edit, preview, reset.
    #[command(subcommand)]
    Template(TemplateCommand),
    /// What may lawfully be claimed on an invoice on a date: interest, collection costs or the
    /// flat compensation, fees — each with its legal basis and arithmetic.
    Charges {
        /// The invoice number.
        #[arg(long)]
        invoice: String,
        #[arg(long, value_parser = parse_date)]
        as_of: Option<jiff::civil::Date>,
    },
    /// Work for people: calls, approvals, hand-overs.
    #[command(subcommand)]
    Task(TaskCommand),
    /// Payment plans: a debtor pays all its open invoices in instalments instead of being
    /// dunned.
    #[command(subcommand)]
    Plan(PlanCommand),
    /// Check that a running server answers (exit 6 when it does not).
    Healthcheck(HealthArgs),
    /// Measure the performance targets (see docs/benchmarks.md).
    #[command(subcommand)]
    Bench(BenchCommand),
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, env = "ARFLOW_ADDR")]
    pub addr: Option<SocketAddr>,
    /// Load demo data when the database is empty, and print a token to explore the API.
    #[arg(long)]
    pub demo: bool,
    /// Hour of the day (0-23, in each organisation's time zone) from which the daily dunning
    /// run is made.
    #[arg(long, env = "ARFLOW_RUN_HOUR", default_value_t = 7, value_parser = clap::value_parser!(i8).range(0..=23))]
    pub run_hour: i8,
    /// Do not run dunning by itself (runs then come only from the CLI or the API).
    #[arg(long)]
    pub no_scheduler: bool,
    #[command(flatten)]
    pub smtp: SmtpArgs,
    /// Mollie API key (`live_…` or `test_…`): debtors can then pay online from the portal.
    #[arg(long, env = "ARFLOW_MOLLIE_KEY", hide_env_values = true)]
    pub mollie_key: Option<String>,
    /// Mollie's API address (a local stand-in for tests).
    #[arg(long, env = "ARFLOW_MOLLIE_API", default_value = "https://api.mollie.com")]
    pub mollie_api: String,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum CountryArg {
    #[value(name = "NL", alias = "nl")]
    Nl,
    #[value(name = "BE", alias = "be")]
    Be,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Number of debtors (about ten invoices each over 24 months).
    #[arg(long, default_value_t = 200)]
    pub debtors: u32,
    /// Seed: the same seed gives the same data.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Last day of the generated history [default: today].
    #[arg(long, value_parser = parse_date)]
    pub as_of: Option<jiff::civil::Date>,
    /// Country of the demo organisation.
    #[arg(long, value_enum, default_value = "NL")]
    pub country: CountryArg,
    /// Slug of the demo organisation [default: demo-nl or demo-be].
    #[arg(long)]
    pub slug: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum OrgCommand {
    /// Create an organisation.
    Create {
        #[arg(long)]
        slug: String,
        #[arg(long)]
        name: String,
        #[arg(long, value_enum)]
        country: CountryArg,
    },
    /// List organisations.
    List,
    /// Change the payment and registration details (IBAN and BIC are what letters ask to be
    /// paid on). An empty value clears a field.
    Update {
        #[arg(long)]
        iban: Option<String>,
        #[arg(long)]
        bic: Option<String>,
        #[arg(long)]
        vat_number: Option<String>,
        #[arg(long)]
        kvk_number: Option<String>,
        #[arg(long)]
        enterprise_number: Option<String>,
        #[arg(long)]
        time_zone: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an API token for the organisation (shown once).
    Create {
        /// A name to recognise the token by.
        #[arg(long, default_value = "api")]
        name: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Kind {
    Debtors,
    Invoices,
    Payments,
    /// Bank statements: camt.052/053/054, MT940/MT942, CODA 2, or CSV with --mapping/--bank.
    Statement,
    /// E-invoices: UBL 2.1 Invoice/CreditNote (Peppol BIS 3), UN/CEFACT CII, Factur-X/ZUGFeRD PDF.
    Invoice,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    #[arg(value_enum)]
    pub kind: Kind,
    /// The file(s); CSV kinds take one.
    #[arg(required = true, num_args = 1..)]
    pub files: Vec<PathBuf>,
    /// Overwrite stored debtors and invoices whose row in the file differs.
    #[arg(long)]
    pub update: bool,
    #[command(flatten)]
    pub statement: StatementArgs,
}

/// How statements are read and matched.
#[derive(Debug, Args, Clone)]
pub struct StatementArgs {
    /// A CSV statement's column mapping: a JSON or TOML file, or the name of a saved or built-in
    /// mapping (see `arflow mapping list` and docs/formats.md).
    #[arg(long, conflicts_with = "bank", value_name = "NAME|FILE")]
    pub mapping: Option<String>,
    /// The older spelling of --mapping NAME.
    #[arg(long, value_name = "NAME")]
    pub bank: Option<String>,
    /// A payment this much short of what it fits still fits (bank costs), e.g. 0.50.
    #[arg(long, default_value = "0")]
    pub tolerance: String,
    /// Confidence (0-100) from which a match is allocated without a person.
    #[arg(long, default_value_t = 90, value_parser = clap::value_parser!(u8).range(1..=100))]
    pub auto_threshold: u8,
}

#[derive(Debug, Subcommand)]
pub enum ParseCommand {
    /// A bank statement: camt.052/053/054, MT940/MT942, CODA 2, or CSV with --mapping/--bank.
    Statement {
        file: PathBuf,
        #[command(flatten)]
        statement: StatementArgs,
    },
    /// An e-invoice: UBL 2.1 Invoice/CreditNote, UN/CEFACT CII, Factur-X/ZUGFeRD PDF.
    Invoice { file: PathBuf },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a person with a role in the organisation (--org, or the only one). Without
    /// --password-stdin a password is generated and printed once.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// admin, credit_controller, sales or accountant.
        #[arg(long, default_value = "admin")]
        role: String,
        /// The application's language for this person: nl, fr or en.
        #[arg(long, default_value = "nl")]
        language: String,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Give an existing person a role in the organisation (--org), e.g. an accountant's next
    /// client.
    Grant {
        #[arg(long)]
        email: String,
        #[arg(long)]
        role: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum MappingCommand {
    /// The organisation's saved mappings, then the built-in ones.
    List,
    /// One mapping as JSON, ready to edit and save again (with --json: with who saved it when).
    Show { name: String },
    /// Check a mapping (a JSON or TOML file) and save it under NAME, replacing an earlier one.
    Save { name: String, file: PathBuf },
    /// Remove a saved mapping.
    Delete { name: String },
}

#[derive(Debug, Subcommand)]
pub enum MatchCommand {
    /// Entries waiting for review, with the suggested matches and why.
    Review {
        /// Also list money nothing pointed to.
        #[arg(long)]
        all: bool,
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
    /// Accept a suggestion (the best by default), or allocate by hand with --split.
    Accept {
        entry: i64,
        /// Which suggestion (1 = the best).
        #[arg(long)]
        choice: Option<usize>,
        /// Invoice and amount pairs, e.g. --split F2026-001=100.00 --split F2026-007=25.50.
        #[arg(long, value_name = "INVOICE=AMOUNT")]
        split: Vec<String>,
    },
    /// Reject the suggestions: the money stays unapplied.
    Reject { entry: i64 },
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[arg(value_enum)]
    pub kind: Kind,
    /// Output file (`-` for standard output).
    pub file: PathBuf,
}

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// What is open, by days overdue, on any date (reconstructed from history).
    Ageing {
        #[arg(long, value_parser = parse_date)]
        as_of: Option<jiff::civil::Date>,
        /// Currency [default: the organisation's].
        #[arg(long)]
        currency: Option<String>,
        /// Upper bounds of the overdue buckets, in days.
        #[arg(long, default_value = "30,60,90,180")]
        buckets: String,
        /// Only this debtor (number).
        #[arg(long)]
        debtor: Option<String>,
    },
    /// Days sales outstanding, by the countback and the standard method.
    Dso {
        #[arg(long, value_parser = parse_date)]
        as_of: Option<jiff::civil::Date>,
        /// Length of the standard method's period.
        #[arg(long, default_value_t = 90)]
        period_days: u32,
    },
    /// Average days to pay and days late over invoices settled in a period.
    Behaviour {
        #[arg(long, value_parser = parse_date)]
        from: Option<jiff::civil::Date>,
        #[arg(long, value_parser = parse_date)]
        to: Option<jiff::civil::Date>,
        #[arg(long)]
        debtor: Option<String>,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SchemeArg {
    Ogm,
    Rf,
    Nl,
}

#[derive(Debug, Subcommand)]
pub enum ReferenceCommand {
    /// Generate a payment reference. Without --base it takes the next number of the
    /// organisation's reference counter (so it is never handed out twice).
    New {
        #[arg(long, value_enum)]
        scheme: Option<SchemeArg>,
        /// The number to build the reference from.
        #[arg(long)]
        base: Option<u64>,
    },
    /// Check a payment reference and show its scheme and normalised form (exit 3 if invalid).
    Check { value: String },
}

#[derive(Debug, Subcommand)]
pub enum DunningCommand {
    /// Run dunning for a date: plan, then store and send each action exactly once.
    Run {
        #[arg(long, value_parser = parse_date)]
        as_of: Option<jiff::civil::Date>,
        /// Plan only; change nothing.
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        smtp: SmtpArgs,
    },
    /// Show what a run on a date would do.
    Preview {
        #[arg(long, value_parser = parse_date)]
        as_of: Option<jiff::civil::Date>,
    },
    /// The policies in force (stored versions, else the shipped defaults).
    Policies,
    /// One policy: show it as JSON, or store an edited one as its next version.
    #[command(subcommand)]
    Policy(DunningPolicyCommand),
    /// Which policy applies to whom (by debtor, segment, country and kind, kind).
    #[command(subcommand)]
    Assignments(DunningAssignmentsCommand),
    /// The policy of one invoice instead of its debtor's: show it, set it, or lift it.
    Override {
        /// The invoice number.
        invoice: String,
        /// The policy this invoice follows from the next run on.
        #[arg(long, conflicts_with = "clear")]
        policy: Option<String>,
        /// Lift the override: the debtor's policy applies again.
        #[arg(long)]
        clear: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum DunningPolicyCommand {
    /// Print the policy in force as JSON (the input of `policy set`), with its version.
    Show { id: String },
    /// Store a policy from a JSON or TOML file as the next version of its id.
    ///
    /// The policy is checked first (exit 3 with the reason when it is not valid, or when it was
    /// edited from an older version than the one in force). The same rules again store nothing.
    Set { file: PathBuf },
}

#[derive(Debug, Subcommand)]
pub enum DunningAssignmentsCommand {
    /// Print the assignments as JSON (the input of `assignments set`).
    Show,
    /// Replace the assignments with those of a JSON or TOML file.
    ///
    /// Every rule must name an existing policy and be able to match (exit 3 with the reason
    /// otherwise). A map left out of the file is empty.
    Set { file: PathBuf },
}

#[derive(Debug, Subcommand)]
pub enum OutboxCommand {
    /// Messages, newest first.
    List {
        /// Only messages with this status (planned, sending, sent, uncertain, failed, held).
        #[arg(long)]
        status: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Send the planned e-mails over SMTP (each exactly once; see docs/dunning.md).
    Send {
        #[command(flatten)]
        smtp: SmtpArgs,
        #[arg(long, default_value_t = 10_000)]
        limit: u32,
    },
    /// Write one attachment of a message (a letter to print, a collection dossier) to a file.
    Attachment {
        /// The message id (see `outbox list`).
        id: i64,
        /// Position of the attachment, from 0.
        #[arg(long, default_value_t = 0)]
        index: usize,
        /// Where to write it (default: its own file name in the current directory).
        #[arg(long)]
        out: Option<std::path::PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum TemplateCommand {
    /// Every step in every language, marking the organisation's own texts.
    List,
    /// The text in force of a step in a language.
    Show {
        step: String,
        #[arg(long)]
        language: String,
    },
    /// Replace the text of a step in a language (checked before it is saved).
    Set {
        step: String,
        #[arg(long)]
        language: String,
        /// File with the subject line (a template).
        #[arg(long)]
        subject_file: PathBuf,
        /// File with the plain-text body (a template).
        #[arg(long)]
        text_file: PathBuf,
        /// File with the HTML body; without it, the HTML is made from the text.
        #[arg(long)]
        html_file: Option<PathBuf>,
    },
    /// Go back to the built-in text.
    Reset {
        step: String,
        #[arg(long)]
        language: String,
    },
    /// Render a step with sample data.
    Preview {
        step: String,
        #[arg(long)]
        language: String,
        /// business or consumer.
        #[arg(long, default_value = "business")]
        debtor_kind: String,
    },
}

/// Where e-mail goes. Without `--smtp` (or `ARFLOW_SMTP`), messages stay in the outbox.
#[derive(Debug, Clone, clap::Args)]
pub struct SmtpArgs {
    /// SMTP server as HOST:PORT.
    #[arg(long, env = "ARFLOW_SMTP")]
    pub smtp: Option<String>,
    /// plain, starttls or tls.
    #[arg(long, env = "ARFLOW_SMTP_SECURITY", default_value = "starttls")]
    pub smtp_security: String,
    /// The sender, like `Acme Debiteuren <debiteuren@acme.example>`.
    #[arg(long, env = "ARFLOW_SMTP_FROM")]
    pub smtp_from: Option<String>,
    #[arg(long, env = "ARFLOW_SMTP_USER")]
    pub smtp_user: Option<String>,
    /// Read from the environment only, so that it never shows in a process list.
    #[arg(skip = std::env::var("ARFLOW_SMTP_PASSWORD").ok())]
    pub smtp_password: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum TaskCommand {
    /// Open tasks (all with --all).
    List {
        #[arg(long)]
        all: bool,
        #[arg(long)]
        owner: Option<String>,
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
    /// Complete a task with its outcome: reached, promised, disputed, no_answer, done.
    Done {
        id: i64,
        #[arg(long)]
        outcome: String,
        /// With `--outcome promised`: the date the debtor promised to pay by.
        #[arg(long, value_parser = parse_date)]
        promised_on: Option<jiff::civil::Date>,
        #[arg(long)]
        note: Option<String>,
    },
}

/// How far apart a plan's instalments fall.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum IntervalArg {
    Monthly,
    Weekly,
}

#[derive(Debug, Subcommand)]
pub enum PlanCommand {
    /// Propose a plan for every open invoice of a debtor (what is open on them now). Within the
    /// organisation's plan rules it starts at once and holds the invoices from dunning;
    /// otherwise it waits for `plan accept` or `plan reject`, and the debtor's owner gets a task
    /// with the reasons.
    Propose {
        /// The debtor's number.
        debtor: String,
        /// The due date of the first instalment (today or later).
        #[arg(long, value_parser = parse_date)]
        first_due: jiff::civil::Date,
        /// How many instalments.
        #[arg(long)]
        count: u32,
        #[arg(long, value_enum, default_value = "monthly")]
        interval: IntervalArg,
        /// Start the plan at once even beyond the organisation's limits: you decide (recorded
        /// as yours, with the limits it passes).
        #[arg(long)]
        start: bool,
    },
    /// Plans by id: the organisation's, or one debtor's.
    List {
        /// Only this debtor's (number).
        #[arg(long)]
        debtor: Option<String>,
        /// Only plans in this state: proposed, active, completed, broken, rejected, cancelled.
        #[arg(long, value_parser = parse_plan_state)]
        state: Option<arflow_store::PlanState>,
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
    /// One plan: its schedule with the payment references, what was paid, where it stands.
    Show { id: i64 },
    /// Accept a proposed plan: it starts and holds its invoices from dunning.
    Accept { id: i64 },
    /// Reject a proposed plan: dunning goes on as it was.
    Reject { id: i64 },
}

#[derive(Debug, Args)]
pub struct HealthArgs {
    /// Base URL of the server [default: http://127.0.0.1:8080].
    #[arg(long, env = "ARFLOW_URL")]
    pub url: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Time `demo` writing N debtors (≈10 invoices each) into a fresh database.
    Demo {
        #[arg(long, default_value_t = 100_000)]
        debtors: u32,
    },
    /// Time a CSV import of N invoice rows into a fresh database, then the same file again;
    /// the median of --runs runs, each into a database of its own.
    Import {
        #[arg(long, default_value_t = 200_000)]
        rows: u32,
        #[arg(long, default_value_t = 5)]
        runs: u32,
    },
    /// Time the staff web pages over HTTP on loopback against --db (the dashboard, the debtor
    /// list, a search, a debtor page), signed in as a bench user it adds (median, p95, max).
    Pages {
        #[arg(long, default_value_t = 20)]
        runs: u32,
    },
    /// Time the ageing report over the database's organisation (median of runs).
    Ageing {
        #[arg(long, default_value_t = 5)]
        runs: u32,
        #[arg(long, value_parser = parse_date)]
        as_of: Option<jiff::civil::Date>,
    },
    /// Time a dunning dry run against a plain SQL scan of the same open items (median of
    /// runs); without --db, over a fresh 100k-debtor demo database.
    Dunning {
        #[arg(long, default_value_t = 5)]
        runs: u32,
        /// The run date [default: 2026-11-01, the demo data's date].
        #[arg(long, value_parser = parse_date)]
        as_of: Option<jiff::civil::Date>,
        /// Instead of the demo data, import 100k debtors and 1M invoices without payments (all
        /// open) into a fresh database, or into the --db given (which must then be empty).
        #[arg(long)]
        all_open: bool,
    },
    /// Parse throughput of a statement format on one core: a synthetic file of about --mb
    /// megabytes written by the format's own writer, parsed --runs times (median).
    Parse {
        #[arg(long, value_enum)]
        format: BenchFormat,
        #[arg(long, default_value_t = 100)]
        mb: u32,
        #[arg(long, default_value_t = 5)]
        runs: u32,
    },
    /// Import and match bank entries end to end (parse included) against the open items;
    /// without --db, 100k debtors and 1M open invoices in a fresh SQLite database.
    Reconcile {
        #[arg(long, default_value_t = 100_000)]
        entries: u32,
    },
}

/// A statement format to measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BenchFormat {
    Camt053,
    Mt940,
    Coda,
}

fn parse_date(text: &str) -> Result<jiff::civil::Date, String> {
    arflow_core::date::parse_iso_date(text).map_err(|e| format!("{e}: '{text}'"))
}

fn parse_plan_state(text: &str) -> Result<arflow_store::PlanState, String> {
    arflow_store::PlanState::parse(text).ok_or_else(|| {
        format!(
            "'{text}' is not a plan state: use proposed, active, completed, broken, rejected or \
             cancelled"
        )
    })
}
