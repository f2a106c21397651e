//! The seeded dunning simulation of issue 3: 200 debtors over 120 days with random payments,
//! disputes and promises, the real `arflow` binary killed (SIGKILL) and restarted at random
//! points, every e-mail going to a real SMTP server. At the end:
//!
//! 1. no message went out twice: every mail in the Maildir from this run's sender has its own
//!    Message-ID and outbox id, every `sent` e-mail arrived exactly once, `uncertain` ones only
//!    come from killed runs and have no second copy, no (invoice, step) was acted on twice;
//! 2. no step was skipped without a recorded reason: each invoice moves through its policy's
//!    steps in order, and a run restarted after a kill completes that day's work (what the
//!    preview before the killed attempt planned is what was stored for the day);
//! 3. every charge equals the rules: for a sample of actions, `arflow charges` on the run date
//!    gives the same kinds and amounts; NL collection costs over several invoices are the BIK
//!    scale over their total open principal;
//! 4. payment plans (`arflow plan propose`, some started at once within the rules, others
//!    accepted or rejected by a person days later; their debtors pay on time, late, or stop):
//!    none of a plan's invoices got a dunning action while it was active (from the day it was
//!    decided to the day it ended); a plan ends as its schedule and the payments say — completed
//!    the day its invoices are paid in full, broken the day an instalment has stayed unpaid past
//!    the grace days, never otherwise; after a break each invoice is dunned from the step after
//!    the last one taken before the plan, and the debtor's owner has exactly one `plan_broken`
//!    task; a proposed plan's review task ends with the decision; its instalment e-mails are
//!    written once each (and sent once, as invariant 1 says of every e-mail);
//! 5. promises (`task done --outcome promised --promised-on DATE`): no dunning action on the
//!    promised invoices from the promise up to the promised date (a later promise on the same
//!    invoice replaces it); the first action after a broken promise carries exactly one
//!    `promise_broken` task, and no other action does (that it is a later step, never a repeat,
//!    is invariant 2's).
//!
//! The seed is printed; `ARFLOW_SIM_SEED=N` replays a run. Needs the SMTP server of
//! `ARFLOW_TEST_SMTP` storing into `ARFLOW_TEST_MAILDIR` (scripts/test starts it): fails, never
//! skips, without.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use jiff::civil::Date;
use serde_json::Value;

const DEFAULT_SEED: u64 = 0x00A2_F10E_2026_0003;
const DEBTORS: usize = 200;
const DAYS: i64 = 120;
/// Chance per day (per mille) that the dunning run is killed (then it is restarted, maybe killed again).
const KILL_RUN: u64 = 150;
/// Chance per day (per mille) that the payments import is killed (then imported again).
const KILL_IMPORT: u64 = 50;
/// Most `arflow charges` comparisons per day (the sample of invariant 3).
const CHARGE_CHECKS_PER_DAY: usize = 3;
/// Chance per day (per mille) that a debtor with overdue invoices gets a payment plan.
const PLAN_PROPOSE: u64 = 600;
/// No new plans in the last days, so that the last ones are decided and run a while.
const PLAN_QUIET_DAYS: i64 = 25;
/// Days after a missed instalment's due date before its plan breaks: the default plan rules
/// (`PlanRules::default()`, docs/portal.md), which the simulated organisation keeps.
const PLAN_GRACE_DAYS: i64 = 14;
/// Days after the promised date that a promise recorded by staff still holds dunning: the
/// promise rules' `grace_days` (3 by default, which the simulated organisation keeps), as for a
/// debtor's own promise on the portal (docs/dunning.md).
const STAFF_PROMISE_GRACE_DAYS: i64 = 3;

/// splitmix64: small, seeded, the same on every platform.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % ((hi - lo + 1) as u64)) as i64
    }

    /// True with a chance of `per_mille` in 1000.
    fn chance(&mut self, per_mille: u64) -> bool {
        self.next() % 1000 < per_mille
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.range(0, items.len() as i64 - 1) as usize]
    }
}

fn day(start: Date, n: i64) -> Date {
    start.checked_add(jiff::Span::new().days(n)).unwrap()
}

/// Days from `from` to `to` (negative when `to` is earlier).
fn days_between(from: Date, to: Date) -> i64 {
    i64::from(from.until(to).unwrap().get_days())
}

fn cents(amount: &str) -> i64 {
    let (sign, digits) = match amount.strip_prefix('-') {
        Some(rest) => (-1, rest),
        None => (1, amount),
    };
    let (whole, frac) = digits.split_once('.').unwrap_or((digits, "00"));
    assert_eq!(frac.len(), 2, "amount {amount}");
    sign * (whole.parse::<i64>().unwrap() * 100 + frac.parse::<i64>().unwrap())
}

fn euros(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

/// The statutory scale of the Besluit BIK (art. 2), VAT deductible, written out independently:
/// 15 % of the first €2,500, 10 % of the next €2,500, 5 % of the next €5,000, 1 % of the next
/// €190,000, 0.5 % above; at least €40, at most €6,775; rounded half-up to cents.
fn bik_cents(principal: i64) -> i64 {
    const SCALE: [(Option<i64>, i64); 5] = [
        (Some(250_000), 1500),
        (Some(500_000), 1000),
        (Some(1_000_000), 500),
        (Some(20_000_000), 100),
        (None, 50),
    ];
    if principal <= 0 {
        return 0;
    }
    // In ten-thousandths of a cent.
    let mut sum: i64 = 0;
    let mut lower = 0;
    for (upper, pct) in SCALE {
        if principal <= lower {
            break;
        }
        let top = upper.map_or(principal, |u| u.min(principal));
        sum += (top - lower) * pct;
        match upper {
            Some(u) => lower = u,
            None => break,
        }
    }
    let bounded = sum.clamp(4000 * 10_000, 677_500 * 10_000);
    (bounded + 5_000) / 10_000
}

/// The scratch directory, database and mail settings of the simulation.
struct Sim {
    dir: PathBuf,
    db_file: PathBuf,
    db: String,
    smtp: String,
    maildir: String,
    sender_address: String,
    sender: String,
}

impl Sim {
    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_arflow"));
        c.args(args)
            .env("ARFLOW_DB", &self.db)
            .env_remove("ARFLOW_ORG")
            .env_remove("ARFLOW_CONFIG")
            .env_remove("ARFLOW_SMTP")
            .env_remove("ARFLOW_SMTP_FROM")
            .env("ARFLOW_LOG", "warn")
            .current_dir(&self.dir)
            .stdin(Stdio::null());
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    /// Runs with `--json` and expects exit code 0; returns the JSON.
    fn json(&self, args: &[&str]) -> Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let out = self.run(&all);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(0),
            "arflow {all:?}\nstdout:\n{stdout}\nstderr:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}"))
    }

    fn write(&self, name: &str, text: &str) -> String {
        let p = self.dir.join(name);
        std::fs::write(&p, text).unwrap();
        p.display().to_string()
    }

    /// Starts `args`, kills it with SIGKILL after `wait`, and says whether it was still running
    /// then (false: it had finished on its own, with exit code 0).
    fn kill_after(&self, args: &[&str], wait: Duration, n: usize) -> bool {
        let out = std::fs::File::create(self.dir.join(format!("killed-{n}.out"))).unwrap();
        let mut child =
            self.command(args).stdout(Stdio::from(out)).stderr(Stdio::null()).spawn().unwrap();
        std::thread::sleep(wait);
        let finished = child.try_wait().unwrap();
        let _ = child.kill();
        let status = child.wait().unwrap();
        match finished {
            Some(s) => {
                assert_eq!(s.code(), Some(0), "arflow {args:?} failed on its own: {s:?}");
                false
            }
            None => {
                // It may still have exited between try_wait and kill.
                status.code().is_none() || status.code() != Some(0)
            }
        }
    }

    /// Rows of an SQL query on the database (read with Python's sqlite3, not with our code).
    fn sql(&self, query: &str) -> Vec<Value> {
        const SCRIPT: &str = r#"
import json, sqlite3, sys
con = sqlite3.connect(sys.argv[1])
con.row_factory = sqlite3.Row
print(json.dumps([dict(r) for r in con.execute(sys.argv[2])]))
"#;
        let out = Command::new("python3")
            .args(["-c", SCRIPT, self.db_file.to_str().unwrap(), query])
            .output()
            .expect("python3 is needed to read the database");
        assert!(out.status.success(), "{query}: {}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap()
    }

    /// The headers of the mails in the Maildir from this simulation's sender.
    fn mails(&self) -> Vec<Value> {
        const SCRIPT: &str = r#"
import email, email.parser, email.policy, json, os, sys
maildir, sender = sys.argv[1], sys.argv[2]
parser = email.parser.BytesHeaderParser(policy=email.policy.compat32)
found = []
for name in sorted(os.listdir(os.path.join(maildir, "new"))):
    with open(os.path.join(maildir, "new", name), "rb") as f:
        msg = parser.parse(f)
    if sender not in str(msg["From"]):
        continue
    found.append({"file": name, "message_id": str(msg["Message-ID"]).strip(),
                  "outbox_id": str(msg["X-Arflow-Message"]).strip(), "to": str(msg["To"])})
print(json.dumps(found))
"#;
        let out = Command::new("python3")
            .args(["-c", SCRIPT, &self.maildir, &self.sender_address])
            .output()
            .expect("python3 is needed to read the Maildir");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap()
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

struct Invoice {
    number: String,
    due: Date,
    amount: i64,
    /// What the simulation paid so far.
    paid: i64,
}

/// What was recorded about a day: the plan (from the run, or from the preview before a killed
/// attempt) and whether a run of it was killed.
#[derive(Default)]
struct DayRecord {
    killed: usize,
    /// (debtor, step, invoices) the day's plan holds.
    planned: BTreeSet<(String, String, Vec<String>)>,
    /// The plan came from a completed run's own report (not a preview).
    from_run: bool,
}

/// A reason the planner gave for leaving a debtor (or one of its items) alone.
struct Reason {
    day: Date,
    invoice: Option<String>,
}

/// How a plan's debtor pays its instalments (drawn when the plan is proposed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Payer {
    /// On each due date or up to two days before it.
    OnTime,
    /// 1 to 16 days after each due date: mostly within the grace days, now and then past them.
    Late,
    /// On time for the first `after` instalments, then nothing more.
    Stops { after: usize },
}

/// A payment plan as the simulation made it and expects it to be.
struct SimPlan {
    id: i64,
    debtor: String,
    /// `proposed`, `active`, `rejected`, `completed` or `broken`.
    state: &'static str,
    /// A proposed plan's decision: the day, and whether it is accepted.
    decision: Option<(Date, bool)>,
    /// The review task of a proposed plan.
    review_task: Option<i64>,
    /// The day it started: at once within the rules, else the day it was accepted.
    active_from: Option<Date>,
    /// The day it ended: completed or broken by that day's run, or rejected.
    ended_on: Option<Date>,
    total: i64,
    /// (due date, amount) of each instalment.
    instalments: Vec<(Date, i64)>,
    /// Its invoices, oldest first: each instalment payment fills them in this order.
    invoices: Vec<String>,
    payer: Payer,
    /// Instalment payments still to make: (day, amount).
    to_pay: Vec<(Date, i64)>,
}

impl SimPlan {
    /// Proposed or active: its invoices are the plan's business, not the random payers'.
    fn live(&self) -> bool {
        matches!(self.state, "proposed" | "active")
    }

    /// The plan starts on `on`: when its debtor will pay which instalment.
    fn start(&mut self, on: Date, rng: &mut Rng) {
        self.state = "active";
        self.active_from = Some(on);
        self.to_pay = self
            .instalments
            .iter()
            .enumerate()
            .filter_map(|(k, &(due, amount))| {
                let pay_on = match self.payer {
                    Payer::OnTime => day(due, -rng.range(0, 2)),
                    Payer::Late => day(due, rng.range(1, 16)),
                    Payer::Stops { after } if k < after => day(due, -rng.range(0, 2)),
                    Payer::Stops { .. } => return None,
                };
                Some((pay_on.max(on), amount))
            })
            .collect();
    }

    /// What the day's run makes of an active plan after the day's payments, judged here from the
    /// schedule and what is open on its invoices: `completed` when nothing is left to pay,
    /// `broken` when the oldest instalment not paid in full is more than the grace days overdue.
    fn ends_on(
        &self,
        date: Date,
        invoices: &[Invoice],
        by_number: &BTreeMap<String, usize>,
    ) -> Option<&'static str> {
        let open: i64 = self
            .invoices
            .iter()
            .map(|n| {
                let inv = &invoices[by_number[n]];
                (inv.amount - inv.paid).max(0)
            })
            .sum();
        // Paid towards the plan fills the instalments oldest first.
        let mut left = (self.total - open).max(0);
        for &(due, amount) in &self.instalments {
            let applied = left.min(amount);
            left -= applied;
            if applied < amount {
                return (days_between(due, date) > PLAN_GRACE_DAYS).then_some("broken");
            }
        }
        Some("completed")
    }
}

/// The action id of a message that belongs to no dunning action: a plan's instalment e-mail.
const PLAN_NOTICE: i64 = 0;

/// A promise a phone call ended with.
struct Promise {
    /// Recorded on this day, before its run.
    day: Date,
    task: i64,
    promised_on: Date,
}

#[test]
fn a_simulation_with_kills_sends_nothing_twice_skips_nothing_and_charges_by_the_rules() {
    let seed = std::env::var("ARFLOW_SIM_SEED")
        .ok()
        .map(|s| {
            let s = s.trim();
            s.strip_prefix("0x")
                .map_or_else(|| s.parse(), |h| u64::from_str_radix(h, 16))
                .expect("ARFLOW_SIM_SEED is a number")
        })
        .unwrap_or(DEFAULT_SEED);
    eprintln!("simulation seed: {seed} (replay with ARFLOW_SIM_SEED={seed})");
    let mut rng = Rng(seed);
    let started = Instant::now();

    let smtp = std::env::var("ARFLOW_TEST_SMTP").unwrap_or_else(|_| {
        panic!(
            "ARFLOW_TEST_SMTP is not set: the simulation needs the SMTP server scripts/test starts"
        )
    });
    let maildir = std::env::var("ARFLOW_TEST_MAILDIR").unwrap_or_else(|_| {
        panic!("ARFLOW_TEST_MAILDIR is not set: the simulation reads what the SMTP server stored")
    });
    let tag = format!(
        "{}-{}",
        std::process::id(),
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis()
    );
    let dir = std::env::temp_dir().join(format!("arflow-sim-{tag}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let db_file = dir.join("arflow.db");
    let sender_address = format!("sim-ar-{tag}@acme.example");
    let sim = Sim {
        db: format!("sqlite://{}", db_file.display()),
        db_file,
        dir,
        smtp,
        maildir,
        sender: format!("Acme BV <{sender_address}>"),
        sender_address,
    };

    // ------------------------------------------------------------------ the world
    sim.json(&["org", "create", "--slug", "acme", "--name", "Acme BV", "--country", "NL"]);
    sim.json(&["org", "update", "--iban", "NL91ABNA0417164300", "--bic", "ABNANL2A"]);
    let start = jiff::civil::date(2026, 1, 5);
    let mut kinds = Vec::with_capacity(DEBTORS);
    let mut debtors_csv =
        String::from("number,name,kind,country,language,email,street,postal_code,city\n");
    let cities = ["Utrecht", "Amsterdam", "Zwolle", "Breda", "Groningen", "Delft"];
    for n in 0..DEBTORS {
        let consumer = rng.chance(350);
        kinds.push(if consumer { "consumer" } else { "business" });
        let name = if consumer { format!("J. Klant {n}") } else { format!("Bedrijf {n} BV") };
        writeln!(
            debtors_csv,
            "S{n:03},{name},{},NL,nl,sim-{tag}-{n}@example.com,Dorpsstraat {},1234 AB,{}",
            kinds[n],
            n + 1,
            rng.pick(&cities)
        )
        .unwrap();
    }
    let d = sim.json(&["import", "debtors", &sim.write("debtors.csv", &debtors_csv)]);
    assert_eq!(d["created"], DEBTORS, "{d}");
    let mut invoices: Vec<Invoice> = Vec::new();
    let mut invoices_csv =
        String::from("number,debtor_number,issue_date,due_date,amount,description\n");
    for (n, kind) in kinds.iter().enumerate() {
        for k in 1..=rng.range(2, 4) {
            let due = day(start, rng.range(1, 60));
            let issue = day(due, -rng.range(14, 30));
            let amount = if *kind == "consumer" {
                rng.range(2_500, 150_000)
            } else {
                rng.range(10_000, 1_500_000)
            };
            let number = format!("F{n:03}-{k}");
            writeln!(invoices_csv, "{number},S{n:03},{issue},{due},{},Levering {k}", euros(amount))
                .unwrap();
            invoices.push(Invoice { number, due, amount, paid: 0 });
        }
    }
    let i = sim.json(&["import", "invoices", &sim.write("invoices.csv", &invoices_csv)]);
    assert_eq!(i["created"], invoices.len(), "{i}");
    let by_number: BTreeMap<String, usize> =
        invoices.iter().enumerate().map(|(i, inv)| (inv.number.clone(), i)).collect();
    let policies: BTreeMap<String, Value> = sim
        .json(&["dunning", "policies"])
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["id"].as_str().unwrap().to_owned(), p.clone()))
        .collect();

    // ------------------------------------------------------------------ 120 days
    let run_args = |date: &str| -> Vec<String> {
        [
            "--json",
            "dunning",
            "run",
            "--as-of",
            date,
            "--smtp",
            &sim.smtp,
            "--smtp-security",
            "plain",
            "--smtp-from",
            &sim.sender,
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect()
    };
    let mut records: BTreeMap<Date, DayRecord> = BTreeMap::new();
    let mut reasons: BTreeMap<String, Vec<Reason>> = BTreeMap::new();
    let mut payments_made = 0usize;
    let mut payment_no = 0usize;
    let mut kills = (0usize, 0usize); // (runs, imports)
    let mut killed_runs_that_finished = 0usize;
    let mut outcomes: BTreeMap<&str, usize> = BTreeMap::new();
    let mut charge_checks = 0usize;
    let mut charge_mismatches: Vec<String> = Vec::new();
    let mut run_ms: i64 = 400;
    let mut already_ran_after_kill = 0usize;
    let mut resumed = 0usize;
    let mut kill_phases: BTreeMap<&str, usize> = BTreeMap::new();
    let mut plans: Vec<SimPlan> = Vec::new();
    let mut promises: Vec<Promise> = Vec::new();
    let mut instalment_rows = 0usize;
    // When (microseconds since the epoch) each simulated day began.
    let mut day_started: Vec<(i64, Date)> = Vec::new();
    // What went wrong while simulating, reported with the invariants.
    let mut problem_early: Vec<String> = Vec::new();

    let record_reasons =
        |reasons: &mut BTreeMap<String, Vec<Reason>>, date: Date, report: &Value| {
            for s in report["skipped"]
                .as_array()
                .unwrap()
                .iter()
                .chain(report["refused"].as_array().unwrap())
            {
                reasons
                    .entry(s["debtor"].as_str().unwrap().to_owned())
                    .or_default()
                    .push(Reason { day: date, invoice: s["invoice"].as_str().map(str::to_owned) });
            }
        };
    let plan_of = |report: &Value| -> BTreeSet<(String, String, Vec<String>)> {
        report["actions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                (
                    a["debtor"].as_str().unwrap().to_owned(),
                    a["step"].as_str().unwrap().to_owned(),
                    a["invoices"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|i| i.as_str().unwrap().to_owned())
                        .collect(),
                )
            })
            .collect()
    };

    for n in 0..DAYS {
        let date = day(start, n);
        let date_s = date.to_string();
        day_started.push((
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_micros()
                as i64,
            date,
        ));

        // Payments: full or partial, more likely once an invoice is overdue. The invoices of a
        // proposed or active plan are paid by the plan's payer instead.
        let in_plan: BTreeSet<&str> = plans
            .iter()
            .filter(|p| p.live())
            .flat_map(|p| p.invoices.iter().map(String::as_str))
            .collect();
        let mut csv = String::from("date,amount,invoice_number,external_id\n");
        let mut rows = 0;
        for inv in &mut invoices {
            let open = inv.amount - inv.paid;
            if open <= 0 || in_plan.contains(inv.number.as_str()) {
                continue;
            }
            let overdue = date > inv.due;
            let (p_full, p_part) = if overdue { (12, 6) } else { (4, 2) };
            let amount = if rng.chance(p_full) {
                open
            } else if rng.chance(p_part) {
                (open * rng.range(10, 95) / 100).max(1)
            } else {
                continue;
            };
            payment_no += 1;
            writeln!(csv, "{date_s},{},{},SIM-P{payment_no}", euros(amount), inv.number).unwrap();
            inv.paid += amount;
            rows += 1;
        }
        // Instalments paid today, naming the plan's invoices oldest first.
        for plan in plans.iter_mut().filter(|p| p.state == "active") {
            let due_today: i64 =
                plan.to_pay.iter().filter(|(on, _)| *on == date).map(|(_, a)| a).sum();
            plan.to_pay.retain(|(on, _)| *on != date);
            let mut left = due_today;
            for number in &plan.invoices {
                let inv = &mut invoices[by_number[number]];
                let part = left.min(inv.amount - inv.paid);
                if part <= 0 {
                    continue;
                }
                payment_no += 1;
                writeln!(csv, "{date_s},{},{number},SIM-P{payment_no}", euros(part)).unwrap();
                inv.paid += part;
                left -= part;
                rows += 1;
                instalment_rows += 1;
            }
        }
        if rows > 0 {
            let file = sim.write(&format!("payments-{date_s}.csv"), &csv);
            let args = ["--json", "import", "payments", file.as_str()];
            if rng.chance(KILL_IMPORT) {
                let wait = Duration::from_millis(rng.range(5, 60) as u64);
                if sim.kill_after(&args, wait, kills.0 + kills.1) {
                    kills.1 += 1;
                }
            }
            let report = sim.json(&args[1..]);
            assert_eq!(report["conflicts"], 0, "{report}");
            payments_made += rows;
        }

        // Calls: an open phone task ends with an outcome now and then.
        let tasks = sim.json(&["task", "list", "--limit", "10000"]);
        for t in tasks.as_array().unwrap() {
            if t["kind"] != "phone" || !rng.chance(350) {
                continue;
            }
            let id = t["id"].as_i64().unwrap().to_string();
            let roll = rng.range(0, 99);
            let promised_on = day(date, rng.range(3, 21)).to_string();
            let (outcome, extra): (&str, Vec<&str>) = match roll {
                0..=39 => ("promised", vec!["--promised-on", &promised_on]),
                40..=59 => ("disputed", vec!["--note", "de levering was niet compleet"]),
                60..=79 => ("reached", vec![]),
                _ => ("no_answer", vec![]),
            };
            let mut args = vec!["task", "done", id.as_str(), "--outcome", outcome];
            args.extend(extra);
            sim.json(&args);
            *outcomes.entry(outcome).or_default() += 1;
            if outcome == "promised" {
                promises.push(Promise {
                    day: date,
                    task: t["id"].as_i64().unwrap(),
                    promised_on: promised_on.parse().unwrap(),
                });
            }
        }

        // Plans: the decisions due today, then now and then a new plan for a debtor with
        // overdue invoices, all before the day's run.
        for plan in plans.iter_mut() {
            let Some((on, accept)) = plan.decision.filter(|(on, _)| *on == date) else { continue };
            let id = plan.id.to_string();
            let verb = if accept { "accept" } else { "reject" };
            let decided = sim.json(&["--today", &date_s, "plan", verb, &id]);
            if accept {
                plan.start(on, &mut rng);
            } else {
                plan.state = "rejected";
                plan.ended_on = Some(on);
            }
            if decided["state"] != plan.state {
                problem_early.push(format!("plan {id} {verb}ed on {date}: {}", decided["state"]));
            }
        }
        if n < DAYS - PLAN_QUIET_DAYS && rng.chance(PLAN_PROPOSE) {
            let live: BTreeSet<&str> =
                plans.iter().filter(|p| p.live()).map(|p| p.debtor.as_str()).collect();
            let eligible: Vec<String> = invoices
                .iter()
                .filter(|i| i.amount > i.paid && i.due < date)
                .map(|i| format!("S{}", &i.number[1..4]))
                .filter(|d| !live.contains(d.as_str()))
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect();
            if !eligible.is_empty() {
                let debtor = rng.pick(&eligible).clone();
                let plan =
                    propose_plan(&sim, &mut rng, &debtor, date, &invoices, &mut problem_early);
                plans.extend(plan);
            }
        }
        for plan in plans.iter_mut().filter(|p| p.state == "active") {
            if let Some(end) = plan.ends_on(date, &invoices, &by_number) {
                plan.state = end;
                plan.ended_on = Some(date);
            }
        }

        // The run, killed now and then at a random moment and restarted.
        let args_owned = run_args(&date_s);
        let args: Vec<&str> = args_owned.iter().map(String::as_str).collect();
        let mut record = DayRecord::default();
        if rng.chance(KILL_RUN) {
            // What the run would do, before anything of it happened.
            let preview = sim.json(&["dunning", "preview", "--as-of", &date_s]);
            record.planned = plan_of(&preview);
            record_reasons(&mut reasons, date, &preview);
            loop {
                let wait = Duration::from_millis(rng.range(10, run_ms.max(40)) as u64);
                if sim.kill_after(&args, wait, kills.0 + kills.1) {
                    kills.0 += 1;
                    record.killed += 1;
                    // Where it was: before claiming the date, taking actions, or delivering.
                    let run = sim.sql(&format!(
                        "SELECT status FROM dunning_runs WHERE run_date = '{date_s}'"
                    ));
                    let phase = match run.first().and_then(|r| r["status"].as_str()) {
                        None => "before the run started",
                        Some("done") => "while delivering",
                        Some(_) => "while planning or taking actions",
                    };
                    *kill_phases.entry(phase).or_default() += 1;
                } else {
                    killed_runs_that_finished += 1;
                }
                if !rng.chance(250) {
                    break;
                }
            }
            let again = sim.json(&args[1..]);
            if record.killed > 0 && again["already_ran"] == true {
                already_ran_after_kill += 1;
            }
            if again["resumed"] == true {
                resumed += 1;
            }
        } else {
            let t = Instant::now();
            let report = sim.json(&args[1..]);
            run_ms = (7 * run_ms + 3 * t.elapsed().as_millis() as i64) / 10;
            assert_eq!(report["already_ran"], false, "{report}");
            assert_eq!(report["delivery"]["failed"], 0, "{report}");
            record.planned = plan_of(&report);
            record.from_run = true;
            record_reasons(&mut reasons, date, &report);
            // Invariant 3, sampled: what the action claims is what `charges` says that day.
            let charged: Vec<&Value> = report["actions"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|a| !a["charges"].as_array().unwrap().is_empty())
                .collect();
            for a in charged.iter().take(CHARGE_CHECKS_PER_DAY) {
                charge_checks += 1;
                if let Some(m) = compare_charges(&sim, a, &date_s) {
                    charge_mismatches.push(m);
                }
            }
        }
        records.insert(date, record);
    }
    let simulated = started.elapsed();

    // ------------------------------------------------------------------ the invariants
    let mut problems: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    let mut problem =
        |kind: &'static str, text: String| problems.entry(kind).or_default().push(text);

    for p in problem_early {
        problem("plan handling", p);
    }

    // Payments: killed imports imported nothing twice.
    let export = sim.dir.join("payments-export.csv");
    let out = sim.run(&["export", "payments", export.to_str().unwrap()]);
    assert!(out.status.success(), "{out:?}");
    let exported = std::fs::read_to_string(&export).unwrap().lines().count() - 1;
    if exported != payments_made {
        problem("payments", format!("{payments_made} payments made, {exported} stored"));
    }

    let actions = sim.sql(
        "SELECT a.id, a.run_date, d.number AS debtor, a.policy_id, a.step_key, a.step_index, \
         a.invoices, a.status FROM dunning_actions a JOIN debtors d \
         ON d.organisation_id = a.organisation_id AND d.id = a.debtor_id ORDER BY a.id",
    );
    let messages = sim.sql(
        "SELECT id, action_id, channel, recipient, status, message_id, created_at FROM messages \
         ORDER BY id",
    );
    let runs = sim.sql("SELECT run_date, status FROM dunning_runs ORDER BY run_date");
    let action_invoices = |a: &Value| -> Vec<String> {
        serde_json::from_str(a["invoices"].as_str().unwrap()).unwrap()
    };

    // (1) Nothing twice.
    let mails = sim.mails();
    let mut seen_ids = BTreeSet::new();
    let mut per_outbox: BTreeMap<String, usize> = BTreeMap::new();
    for m in &mails {
        if !seen_ids.insert(m["message_id"].as_str().unwrap().to_owned()) {
            problem("mail twice", format!("Message-ID {} arrived twice", m["message_id"]));
        }
        *per_outbox.entry(m["outbox_id"].as_str().unwrap().to_owned()).or_default() += 1;
    }
    for (id, count) in &per_outbox {
        if *count > 1 {
            problem("mail twice", format!("outbox message {id} arrived {count} times"));
        }
    }
    let mut by_status: BTreeMap<String, usize> = BTreeMap::new();
    let mut email_of_action: BTreeMap<(i64, String), Vec<i64>> = BTreeMap::new();
    // The e-mails of the plans (reminders of instalments), by Message-ID.
    let mut plan_notices: BTreeMap<String, i64> = BTreeMap::new();
    for m in &messages {
        let status = m["status"].as_str().unwrap().to_owned();
        *by_status.entry(format!("{}:{status}", m["channel"].as_str().unwrap())).or_default() += 1;
        if m["channel"] != "email" {
            continue;
        }
        let id = m["id"].as_i64().unwrap();
        let action = m["action_id"].as_i64().unwrap();
        if action == PLAN_NOTICE {
            // A plan e-mail is one per plan, instalment and kind: its Message-ID says which.
            let key = m["message_id"].as_str().unwrap().to_owned();
            if let Some(first) = plan_notices.insert(key.clone(), id) {
                problem("mail twice", format!("plan e-mail {key} is messages {first} and {id}"));
            }
        } else {
            email_of_action
                .entry((action, m["recipient"].as_str().unwrap().to_owned()))
                .or_default()
                .push(id);
        }
        let arrived = per_outbox.get(&id.to_string()).copied().unwrap_or(0);
        match status.as_str() {
            "sent" if arrived != 1 => {
                problem("mail lost", format!("message {id} is sent but arrived {arrived} times"))
            }
            "uncertain" | "sent" => {}
            other => problem("mail not delivered", format!("message {id} ended {other}")),
        }
    }
    for ((action, recipient), ids) in &email_of_action {
        if ids.len() > 1 {
            problem("mail twice", format!("action {action} has e-mails {ids:?} to {recipient}"));
        }
    }
    let known: BTreeSet<String> = messages.iter().map(|m| m["id"].to_string()).collect();
    for id in per_outbox.keys() {
        if !known.contains(id) {
            problem("mail twice", format!("a mail with outbox id {id} has no message"));
        }
    }
    // The CLI's mailer keeps 8 SMTP connections and delivery claims (marks `sending`) one
    // message per connection at a time: a kill leaves at most that many uncertain.
    const CLAIMED_AT_ONCE: usize = 8;
    let uncertain = by_status.get("email:uncertain").copied().unwrap_or(0);
    if uncertain > kills.0 * CLAIMED_AT_ONCE {
        problem("uncertain", format!("{uncertain} uncertain e-mails from {} killed runs", kills.0));
    }
    // A message becomes uncertain only when the run delivering it was killed: on its action's day,
    // or for a plan e-mail, the day whose run wrote it (read from when it was made).
    let run_date_of: BTreeMap<i64, String> = actions
        .iter()
        .map(|a| (a["id"].as_i64().unwrap(), a["run_date"].as_str().unwrap().to_owned()))
        .collect();
    for m in messages.iter().filter(|m| m["status"] == "uncertain") {
        let date = match m["action_id"].as_i64().unwrap() {
            PLAN_NOTICE => {
                let made = m["created_at"].as_i64().unwrap();
                let (_, on) = day_started.iter().rfind(|(at, _)| *at <= made).unwrap();
                on.to_string()
            }
            action => run_date_of[&action].clone(),
        };
        let killed = records.get(&date.parse::<Date>().unwrap()).is_some_and(|r| r.killed > 0);
        if !killed {
            problem(
                "uncertain",
                format!("message {} of {date} is uncertain: no run was killed", m["id"]),
            );
        }
    }
    // The outbox as the CLI shows it agrees (it lists at most the newest 1000 of a status).
    for status in ["sent", "uncertain", "planned", "sending", "failed"] {
        let listed: BTreeSet<i64> = sim
            .json(&["outbox", "list", "--status", status, "--limit", "1000"])
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["id"].as_i64().unwrap())
            .collect();
        let stored: BTreeSet<i64> = messages
            .iter()
            .filter(|m| m["status"] == status)
            .map(|m| m["id"].as_i64().unwrap())
            .collect();
        if !listed.is_subset(&stored) || listed.len() < stored.len().min(1000) {
            problem(
                "outbox",
                format!("outbox list --status {status} shows {listed:?}, stored {stored:?}"),
            );
        }
    }
    let mut acted: BTreeMap<(String, String), i64> = BTreeMap::new();
    for a in &actions {
        for inv in action_invoices(a) {
            let key = (inv.clone(), a["step_key"].as_str().unwrap().to_owned());
            if let Some(first) = acted.insert(key, a["id"].as_i64().unwrap()) {
                problem(
                    "step twice",
                    format!("{inv}: step {} in actions {first} and {}", a["step_key"], a["id"]),
                );
            }
        }
    }

    // The payment plans as stored, and the invoices of the plans that broke on each day.
    let stored_plans: BTreeMap<i64, Value> = sim
        .json(&["plan", "list", "--limit", "1000"])
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["id"].as_i64().unwrap(), p.clone()))
        .collect();
    let mut broke_on: BTreeMap<Date, BTreeSet<String>> = BTreeMap::new();
    for p in stored_plans.values().filter(|p| p["state"] == "broken") {
        let on: Date = p["ended_on"].as_str().unwrap().parse().unwrap();
        let numbers = p["invoices"].as_array().unwrap().iter();
        broke_on
            .entry(on)
            .or_default()
            .extend(numbers.map(|i| i["number"].as_str().unwrap().to_owned()));
    }
    let mut breaks_after_preview = 0usize;

    // (2a) A restarted run completes its day: the day's actions are the day's plan.
    let mut stored_by_day: BTreeMap<String, BTreeSet<(String, String, Vec<String>)>> =
        BTreeMap::new();
    for a in &actions {
        stored_by_day.entry(a["run_date"].as_str().unwrap().to_owned()).or_default().insert((
            a["debtor"].as_str().unwrap().to_owned(),
            a["step_key"].as_str().unwrap().to_owned(),
            action_invoices(a),
        ));
    }
    for (date, record) in &records {
        let mut stored = stored_by_day.remove(&date.to_string()).unwrap_or_default();
        if !record.from_run {
            // The preview does not follow the plans as the run does first: the actions of a plan
            // broken by that day's run are in the run only.
            let broke = broke_on.get(date);
            let before = stored.len();
            stored.retain(|action| {
                record.planned.contains(action)
                    || !broke.is_some_and(|b| action.2.iter().all(|i| b.contains(i)))
            });
            breaks_after_preview += before - stored.len();
        }
        if stored != record.planned {
            let missing: Vec<_> = record.planned.difference(&stored).collect();
            let extra: Vec<_> = stored.difference(&record.planned).collect();
            problem(
                if record.killed > 0 { "day incomplete after a kill" } else { "day differs" },
                format!(
                    "{date} ({} kills): {} planned, {} stored; not done: {missing:?}; not planned: {extra:?}",
                    record.killed,
                    record.planned.len(),
                    stored.len()
                ),
            );
        }
    }
    for r in &runs {
        if r["status"] != "done" {
            problem(
                "run unfinished",
                format!("the run of {} is left {}", r["run_date"], r["status"]),
            );
        }
    }

    // (2b) Each invoice moves through its policy's steps in order; a step passed over needs a
    // reason the planner recorded for that debtor while the step was due.
    let mut last: BTreeMap<String, (i64, Date)> = BTreeMap::new();
    let mut jumped = 0usize;
    // The step each item of each action would have taken by itself: (action, invoice) → index.
    let mut natural_next: BTreeMap<(i64, String), i64> = BTreeMap::new();
    for a in &actions {
        let run_date: Date = a["run_date"].as_str().unwrap().parse().unwrap();
        let policy = &policies[a["policy_id"].as_str().unwrap()];
        let steps = policy["steps"].as_array().unwrap();
        let s = a["step_index"].as_i64().unwrap();
        let debtor = a["debtor"].as_str().unwrap();
        let invs = action_invoices(a);
        // The step each item would take next by itself; courtesy steps timed before the due
        // date lapse once it has passed.
        let natural: Vec<(String, i64, Vec<i64>)> = invs
            .iter()
            .map(|inv| {
                let due = invoices[by_number[inv]].due;
                let mut next = last.get(inv).map_or(0, |(l, _)| l + 1);
                let mut lapsed = Vec::new();
                while let Some(step) = steps.get(next as usize) {
                    let before_due = step["trigger"]["after"] == "due_date"
                        && step["trigger"]["days"].as_i64().unwrap() < 0;
                    if before_due && run_date > due {
                        lapsed.push(next);
                        next += 1;
                    } else {
                        break;
                    }
                }
                (inv.clone(), next, lapsed)
            })
            .collect();
        for (inv, next, _) in &natural {
            natural_next.insert((a["id"].as_i64().unwrap(), inv.clone()), *next);
        }
        let before_due_step = steps[s as usize]["trigger"]["after"] == "due_date"
            && steps[s as usize]["trigger"]["days"].as_i64().unwrap() < 0;
        for (inv, next, lapsed) in &natural {
            let due = invoices[by_number[inv]].due;
            if run_date <= due && !before_due_step {
                problem(
                    "dunned before the due date",
                    format!(
                        "{inv} ({debtor}, due {due}) is in the {} of {run_date} (action {})",
                        a["step_key"], a["id"]
                    ),
                );
            }
            for k in lapsed {
                // The courtesy window: from its trigger to the due date.
                let days = steps[*k as usize]["trigger"]["days"].as_i64().unwrap();
                let from = day(due, days);
                let explained = reasons.get(debtor).is_some_and(|rs| {
                    rs.iter().any(|r| {
                        r.day >= from
                            && r.day <= due
                            && r.invoice.as_deref().is_none_or(|i| i == inv)
                    })
                });
                if !explained {
                    problem(
                        "step skipped without a reason",
                        format!(
                            "{inv} ({debtor}): step {} (due {from}..{due}) lapsed without a \
                             recorded reason; next action {} on {run_date}",
                            steps[*k as usize]["key"], a["step_key"]
                        ),
                    );
                }
            }
            if s < *next {
                problem(
                    "step repeated or backwards",
                    format!(
                        "{inv} ({debtor}): {} on {run_date} after step {}",
                        a["step_key"],
                        next - 1
                    ),
                );
            } else if s > *next {
                jumped += 1;
                // Passing steps over is only right with a reason the planner recorded for this
                // item on that day.
                let explained = reasons.get(debtor).is_some_and(|rs| {
                    rs.iter().any(|r| r.day == run_date && r.invoice.as_deref() == Some(inv))
                });
                if explained {
                    continue;
                }
                let with: Vec<&str> = natural
                    .iter()
                    .filter(|(_, n, _)| *n == s)
                    .map(|(i, _, _)| i.as_str())
                    .collect();
                let skipped: Vec<&str> =
                    (*next..s).map(|k| steps[k as usize]["key"].as_str().unwrap()).collect();
                problem(
                    "step skipped without a reason",
                    format!(
                        "{inv} ({debtor}) went from step {} to {} on {run_date} (action {}), \
                         skipping {skipped:?}{}",
                        last.get(inv.as_str()).map_or("none".to_owned(), |(l, d)| format!(
                            "{} of {d}",
                            steps[*l as usize]["key"]
                        )),
                        a["step_key"],
                        a["id"],
                        if with.is_empty() {
                            String::new()
                        } else {
                            format!(": taken along with {with:?} (one message per debtor)")
                        }
                    ),
                );
            }
        }
        for inv in invs {
            last.insert(inv, (s, run_date));
        }
    }

    // (3) Charges by the rules.
    for m in charge_mismatches {
        problem("charge differs from the rules", m);
    }

    // Each invoice's actions in order: (run date, action, step index).
    let mut acted_on: BTreeMap<String, Vec<(Date, i64, i64)>> = BTreeMap::new();
    for a in &actions {
        let run_date: Date = a["run_date"].as_str().unwrap().parse().unwrap();
        for inv in action_invoices(a) {
            acted_on.entry(inv).or_default().push((
                run_date,
                a["id"].as_i64().unwrap(),
                a["step_index"].as_i64().unwrap(),
            ));
        }
    }
    let tasks =
        sim.sql("SELECT id, action_id, kind, title, status, outcome FROM tasks ORDER BY id");
    let tasks_of_kind = |kind: &'static str| tasks.iter().filter(move |t| t["kind"] == kind);

    // (4) Payment plans.
    let utc_date = |micros: i64| {
        jiff::Timestamp::from_microsecond(micros)
            .unwrap()
            .to_zoned_datetime(jiff::tz::TimeZone::UTC)
            .date()
    };
    // Plan id → its plan_broken tasks (the title names the plan).
    let mut broken_tasks: BTreeMap<i64, usize> = BTreeMap::new();
    for t in tasks_of_kind("plan_broken") {
        let title = t["title"].as_str().unwrap();
        let id = title
            .split_once("payment plan ")
            .and_then(|(_, rest)| rest.split(' ').next())
            .and_then(|id| id.parse::<i64>().ok());
        match id {
            Some(id) => *broken_tasks.entry(id).or_default() += 1,
            None => problem("plan_broken task", format!("task {} names no plan: {title}", t["id"])),
        }
    }
    let mut held_days = 0i64;
    let mut resumed_items = 0usize;
    for plan in &plans {
        let id = plan.id;
        let Some(stored) = stored_plans.get(&id) else {
            problem("plan lost", format!("plan {id} of {} is not stored", plan.debtor));
            continue;
        };
        let state = stored["state"].as_str().unwrap();
        let ended_on: Option<Date> = stored["ended_on"].as_str().map(|d| d.parse().unwrap());
        let decided = stored["decided_at"].as_i64().map(utc_date);
        if state != plan.state || ended_on != plan.ended_on {
            problem(
                "plan ended otherwise than its schedule and payments say",
                format!(
                    "plan {id} of {} ({:?}, {} instalments from {}): {state} ended {ended_on:?}, \
                     expected {} ended {:?}",
                    plan.debtor,
                    plan.payer,
                    plan.instalments.len(),
                    plan.instalments[0].0,
                    plan.state,
                    plan.ended_on
                ),
            );
        }
        if plan.active_from.is_some() && decided != plan.active_from {
            problem(
                "plan started another day",
                format!("plan {id}: decided on {decided:?}, started on {:?}", plan.active_from),
            );
        }
        if let Some(task) = plan.review_task {
            let outcome = match plan.decision {
                Some((_, true)) => "approved",
                Some((_, false)) => "rejected",
                None => "none",
            };
            let t = tasks.iter().find(|t| t["id"] == task);
            if t.is_none_or(|t| t["kind"] != "plan_review" || t["outcome"] != outcome) {
                problem(
                    "plan review task",
                    format!("plan {id}: review task {t:?}, decided {outcome}"),
                );
            }
        }
        // Held while active: from the day it started to the day it ended (that day's run dunns
        // a broken plan's invoices again).
        if let Some(from) = decided.filter(|_| plan.active_from.is_some()) {
            held_days += days_between(from, ended_on.unwrap_or(day(start, DAYS)));
            for inv in &plan.invoices {
                for (on, action, step) in acted_on.get(inv).into_iter().flatten() {
                    if *on >= from && ended_on.is_none_or(|e| *on < e) {
                        problem(
                            "dunned during a plan",
                            format!(
                                "{inv}: action {action} (step {step}) on {on}, plan {id} active \
                                 {from}..{ended_on:?}"
                            ),
                        );
                    }
                }
            }
        }
        if state == "completed" {
            let unpaid: Vec<&String> = plan
                .invoices
                .iter()
                .filter(|n| {
                    let i = &invoices[by_number[*n]];
                    i.paid < i.amount
                })
                .collect();
            if !unpaid.is_empty() || stored["open"]["amount"] != "0.00" {
                problem(
                    "completed plan not paid",
                    format!("plan {id}: open {}, unpaid {unpaid:?}", stored["open"]),
                );
            }
        }
        let tasks_for_it = broken_tasks.get(&id).copied().unwrap_or(0);
        if (state == "broken") != (tasks_for_it == 1) {
            problem(
                "plan_broken task",
                format!("plan {id} is {state} and has {tasks_for_it} plan_broken tasks"),
            );
        }
        // After a break each invoice takes the step after the last one before the plan.
        if let (Some(from), Some(broke), "broken") = (decided, ended_on, state) {
            for inv in &plan.invoices {
                let acts = acted_on.get(inv).map(Vec::as_slice).unwrap_or_default();
                let before = acts.iter().rfind(|(on, _, _)| *on < from);
                let Some((on, action, step)) = acts.iter().find(|(on, _, _)| *on >= broke) else {
                    continue;
                };
                resumed_items += 1;
                let next = natural_next[&(*action, inv.clone())];
                if *step != next {
                    problem(
                        "plan resumed at another step",
                        format!(
                            "{inv}: plan {id} broke on {broke}; action {action} on {on} took step \
                             {step}, the next after {before:?} is {next}"
                        ),
                    );
                }
            }
        }
    }
    for (id, count) in &broken_tasks {
        if stored_plans.get(id).is_none_or(|p| p["state"] != "broken") {
            problem("plan_broken task", format!("{count} plan_broken tasks for plan {id}"));
        }
    }
    // Instalment e-mails (`<plan-PLAN-INSTALMENT-KIND-ORG@…>`, each once) only for plans that ran.
    for key in plan_notices.keys() {
        let plan = key.strip_prefix("<plan-").and_then(|r| r.split('-').next());
        let ran = plan
            .and_then(|id| id.parse::<i64>().ok())
            .is_some_and(|id| plans.iter().any(|p| p.id == id && p.active_from.is_some()));
        if !ran {
            problem("plan e-mail", format!("{key} is not of a plan that ran"));
        }
    }

    // (5) Promises: each holds the invoices of its task's action up to the promised date; a
    // later promise on the same invoice replaces it.
    let action_of_task: BTreeMap<i64, i64> = tasks
        .iter()
        .filter_map(|t| Some((t["id"].as_i64().unwrap(), t["action_id"].as_i64()?)))
        .collect();
    let invoices_of_action: BTreeMap<i64, Vec<String>> =
        actions.iter().map(|a| (a["id"].as_i64().unwrap(), action_invoices(a))).collect();
    let mut promised: BTreeMap<String, Vec<(Date, Date)>> = BTreeMap::new();
    for p in &promises {
        let Some(action) = action_of_task.get(&p.task) else {
            problem("promise", format!("task {} of a promise has no action", p.task));
            continue;
        };
        for inv in &invoices_of_action[action] {
            let until = day(p.promised_on, STAFF_PROMISE_GRACE_DAYS);
            promised.entry(inv.clone()).or_default().push((p.day, until));
        }
    }
    let mut expected_broken: BTreeSet<i64> = BTreeSet::new();
    for (inv, list) in &promised {
        let acts = acted_on.get(inv).map(Vec::as_slice).unwrap_or_default();
        for (k, (made, until)) in list.iter().enumerate() {
            let end = list.get(k + 1).map_or(*until, |(next, _)| (*until).min(day(*next, -1)));
            for (on, action, step) in acts.iter().filter(|(on, _, _)| on >= made && *on <= end) {
                problem(
                    "dunned during a promise",
                    format!(
                        "{inv}: action {action} (step {step}) on {on}, promised on {made} to pay \
                         by {until}"
                    ),
                );
            }
        }
        // The first action after a promise (it has passed by then) finds it broken.
        let mut pending = 0;
        for (on, action, _) in acts {
            let made = list.iter().filter(|(m, _)| m <= on).count();
            if made > pending {
                expected_broken.insert(*action);
                pending = made;
            }
        }
    }
    let mut broken_promise_tasks: BTreeMap<i64, usize> = BTreeMap::new();
    for t in tasks_of_kind("promise_broken") {
        match t["action_id"].as_i64() {
            Some(a) => *broken_promise_tasks.entry(a).or_default() += 1,
            None => problem("promise_broken task", format!("task {} has no action", t["id"])),
        }
    }
    for action in &expected_broken {
        if !broken_promise_tasks.contains_key(action) {
            let invs = &invoices_of_action[action];
            problem("broken promise without a task", format!("action {action} on {invs:?}"));
        }
    }
    for (action, count) in &broken_promise_tasks {
        if *count != 1 || !expected_broken.contains(action) {
            problem(
                "promise_broken task",
                format!(
                    "action {action} has {count} promise_broken tasks; a broken promise: {}",
                    expected_broken.contains(action)
                ),
            );
        }
    }

    let total_actions = actions.len();
    let mut plan_states: BTreeMap<&str, usize> = BTreeMap::new();
    let mut payers: BTreeMap<&str, usize> = BTreeMap::new();
    for p in &plans {
        *plan_states.entry(p.state).or_default() += 1;
        let payer = match p.payer {
            Payer::OnTime => "on time",
            Payer::Late => "late",
            Payer::Stops { .. } => "stops",
        };
        *payers.entry(payer).or_default() += 1;
    }
    let waited = plans.iter().filter(|p| p.decision.is_some()).count();
    let accepted = plans.iter().filter(|p| matches!(p.decision, Some((_, true)))).count();
    let mut summary = format!(
        "seed {seed}: {DEBTORS} debtors, {} invoices, {DAYS} days ({:.1} s simulated, {:.1} s in all)\n\
         {payments_made} payments; task outcomes {outcomes:?}; {total_actions} actions; messages {by_status:?}; \
         {} mails in the Maildir\n\
         kills: {} runs ({killed_runs_that_finished} attempts finished before the kill, \
         {already_ran_after_kill} restarts answered already_ran, {resumed} resumed; killed \
         {kill_phases:?}), {} imports; \
         {charge_checks} actions' charges compared; {jumped} item-steps jumped\n\
         plans: {} proposed ({} active at once, {waited} waited for a person: {accepted} accepted, \
         {} rejected); now {plan_states:?}; payers {payers:?}; {instalment_rows} instalment \
         payments, {} instalment e-mails; {held_days} plan-days held; {resumed_items} items \
         dunned again after a break ({breaks_after_preview} actions of plans broken on a killed \
         day were in its run, not its preview)\n\
         promises: {} made, {} broken with a task\n",
        invoices.len(),
        simulated.as_secs_f64(),
        started.elapsed().as_secs_f64(),
        mails.len(),
        kills.0,
        kills.1,
        plans.len(),
        plans.len() - waited,
        waited - accepted,
        plan_notices.len(),
        promises.len(),
        broken_promise_tasks.len(),
    );
    if !problems.is_empty() {
        writeln!(summary, "(the database and files are kept in {})", sim.dir.display()).unwrap();
    }
    for (kind, list) in &problems {
        writeln!(summary, "\n{} × {kind}; the first ones:", list.len()).unwrap();
        for p in list.iter().take(8) {
            writeln!(summary, "  {p}").unwrap();
        }
    }
    eprintln!("{summary}");
    assert!(total_actions > 500, "the simulation should dun a lot: {summary}");
    assert!(kills.0 > 5, "the simulation should kill runs: {summary}");
    assert!(problems.is_empty(), "{summary}");
}

/// Proposes a plan for `debtor` on `date` with `arflow plan propose`: most of the time within the
/// organisation's rules (2-6 instalments, the first in 7-25 days; a total above EUR 5000 still
/// needs a person), else beyond them (7-12 instalments, or the first 35-50 days away). Checks
/// that it covers every open invoice of the debtor for what is open on it. `None` when it was
/// refused (the reason goes to `problems`).
fn propose_plan(
    sim: &Sim,
    rng: &mut Rng,
    debtor: &str,
    date: Date,
    invoices: &[Invoice],
    problems: &mut Vec<String>,
) -> Option<SimPlan> {
    let (count, first_in) = if rng.chance(600) {
        (rng.range(2, 6), rng.range(7, 25))
    } else if rng.chance(500) {
        (rng.range(7, 12), rng.range(7, 25))
    } else {
        (rng.range(2, 6), rng.range(35, 50))
    };
    let interval = if rng.chance(300) { "weekly" } else { "monthly" };
    let (date_s, first_due, count_s) =
        (date.to_string(), day(date, first_in).to_string(), count.to_string());
    let args = [
        "--json",
        "--today",
        date_s.as_str(),
        "plan",
        "propose",
        debtor,
        "--first-due",
        first_due.as_str(),
        "--count",
        count_s.as_str(),
        "--interval",
        interval,
    ];
    let out = sim.run(&args);
    if !out.status.success() {
        problems.push(format!("{args:?} refused: {}", String::from_utf8_lossy(&out.stderr)));
        return None;
    }
    let p: Value = serde_json::from_slice(&out.stdout).unwrap();
    let plan = &p["plan"];
    let id = plan["id"].as_i64().unwrap();
    // Every open invoice of the debtor, oldest first, for what is open on it.
    let mut open: Vec<(Date, String, i64)> = invoices
        .iter()
        .filter(|i| i.number[1..4] == debtor[1..] && i.amount > i.paid)
        .map(|i| (i.due, i.number.clone(), i.amount - i.paid))
        .collect();
    open.sort();
    let mut expected: Vec<(String, i64)> = open.iter().map(|(_, n, o)| (n.clone(), *o)).collect();
    let mut got: Vec<(String, i64)> = plan["invoices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (i["number"].as_str().unwrap().to_owned(), cents(i["open"]["amount"].as_str().unwrap()))
        })
        .collect();
    expected.sort();
    got.sort();
    let total = cents(plan["total"]["amount"].as_str().unwrap());
    if got != expected || total != expected.iter().map(|(_, o)| o).sum::<i64>() {
        problems.push(format!(
            "plan {id} of {debtor} on {date} covers {got:?} for {total}; open are {expected:?}"
        ));
    }
    let instalments: Vec<(Date, i64)> = plan["instalments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["due"].as_str().unwrap().parse().unwrap(),
                cents(i["amount"]["amount"].as_str().unwrap()),
            )
        })
        .collect();
    let payer = match rng.range(0, 99) {
        0..=49 => Payer::OnTime,
        50..=74 => Payer::Late,
        _ => Payer::Stops { after: rng.range(0, count - 1) as usize },
    };
    let mut sim_plan = SimPlan {
        id,
        debtor: debtor.to_owned(),
        state: "proposed",
        decision: None,
        review_task: p["task_id"].as_i64(),
        active_from: None,
        ended_on: None,
        total,
        instalments,
        invoices: open.into_iter().map(|(_, n, _)| n).collect(),
        payer,
        to_pay: Vec::new(),
    };
    match plan["state"].as_str().unwrap() {
        "active" => sim_plan.start(date, rng),
        "proposed" => sim_plan.decision = Some((day(date, rng.range(1, 4)), rng.chance(650))),
        other => problems.push(format!("plan {id} of {debtor} was proposed {other}")),
    }
    Some(sim_plan)
}

/// Compares an action's charges with `arflow charges` for each of its invoices on the run date;
/// `None` when they agree. NL collection costs over several invoices are one charge: the BIK
/// scale over their total open principal.
fn compare_charges(sim: &Sim, action: &Value, date: &str) -> Option<String> {
    let claimed = action["charges"].as_array().unwrap();
    let invoices: Vec<&str> =
        action["invoices"].as_array().unwrap().iter().map(|i| i.as_str().unwrap()).collect();
    let kinds: BTreeSet<&str> = claimed.iter().map(|c| c["kind"].as_str().unwrap()).collect();
    let mut expected: Vec<(String, String, String)> = Vec::new();
    let mut costs_principal = 0i64;
    let mut costs_items = 0usize;
    for inv in &invoices {
        let report = sim.json(&["charges", "--invoice", inv, "--as-of", date]);
        for c in report["charges"].as_array().unwrap() {
            let kind = c["kind"].as_str().unwrap();
            let amount = c["amount"].as_str().unwrap();
            if kind == "interest" && cents(amount) > 0 && kinds.contains("interest") {
                expected.push(((*inv).to_owned(), kind.to_owned(), amount.to_owned()));
            }
            if kind == "collection_costs" && kinds.contains("collection_costs") {
                if c["explanation"]["rule"].as_str().unwrap().starts_with("nl.bik") {
                    costs_principal += cents(report["principal_open"].as_str().unwrap());
                    costs_items += 1;
                }
                expected.push(((*inv).to_owned(), kind.to_owned(), amount.to_owned()));
            }
        }
    }
    if costs_items > 1 {
        // One claim over the items collected together, on the first of them.
        let first = expected.iter().position(|(_, k, _)| k == "collection_costs").unwrap();
        let inv = expected[first].0.clone();
        expected.retain(|(_, k, _)| k != "collection_costs");
        expected.push((inv, "collection_costs".into(), euros(bik_cents(costs_principal))));
    }
    let mut got: Vec<(String, String, String)> = claimed
        .iter()
        .map(|c| {
            (
                c["invoice"].as_str().unwrap_or_default().to_owned(),
                c["kind"].as_str().unwrap().to_owned(),
                c["amount"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    got.sort();
    expected.sort();
    (got != expected).then(|| {
        format!(
            "{} {} {:?} on {date}: claimed {got:?}, the rules give {expected:?}",
            action["debtor"].as_str().unwrap(),
            action["step"].as_str().unwrap(),
            invoices
        )
    })
}
