//! The demo ledger of one debtor: its invoices over the period, the occasional credit note, and
//! the payments its payment-behaviour profile produces, with what each payment or credit note
//! settles.
//!
//! Everything is planned in day numbers counted from the first day of the period (day `0`);
//! the period ends on `as_of` (day `last`). Nothing that would happen after `as_of` is kept: an
//! invoice whose payment lies in the future is simply open. Ids, numbers and references are
//! given later, per chunk, so a plan refers to its own invoices by position.

use arflow_core::date::{Date, add_days, days_between};
use arflow_core::party::DebtorKind;

use super::parties::{Party, Sector, round_limit};
use super::rng::Rng;

/// How a debtor pays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Profile {
    /// Pays 0-5 days before the due date.
    Punctual,
    /// Pays 5-20 days late.
    SlightlyLate,
    /// Pays 30-90 days late.
    ChronicallyLate,
    /// Disputes some invoices, which stay open long and are later paid or credited.
    Disputing,
    /// Pays in two or three parts.
    PartialPayer,
    /// Stops paying at some point; what was open stays open.
    Defaulter,
}

impl Profile {
    pub const ALL: [Profile; 6] = [
        Profile::Punctual,
        Profile::SlightlyLate,
        Profile::ChronicallyLate,
        Profile::Disputing,
        Profile::PartialPayer,
        Profile::Defaulter,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            Profile::Punctual => "punctual",
            Profile::SlightlyLate => "slightly_late",
            Profile::ChronicallyLate => "chronically_late",
            Profile::Disputing => "disputing",
            Profile::PartialPayer => "partial_payer",
            Profile::Defaulter => "defaulter",
        }
    }
}

/// The period: day `0` is its first day, day `last` is `as_of`.
#[derive(Debug, Clone)]
pub(crate) struct Period {
    pub first: Date,
    pub last: i32,
    /// Weekday of day 0, Monday = 0.
    first_weekday: i32,
    /// Every date from day 0 to `last` + [`PERIOD_TAIL_DAYS`], so turning days into dates is a
    /// lookup.
    dates: Vec<Date>,
}

/// Days after `as_of` a plan can still refer to (due dates, the end of a pause).
const PERIOD_TAIL_DAYS: i32 = 120;

impl Period {
    pub(crate) fn new(first: Date, as_of: Date) -> Period {
        let last = days_between(first, as_of).max(0);
        let dates = (0..=last + PERIOD_TAIL_DAYS).map(|d| add_days(first, d)).collect();
        let first_weekday = i32::from(first.weekday().to_monday_zero_offset());
        Period { first, last, first_weekday, dates }
    }

    pub(crate) fn date(&self, day: i32) -> Date {
        usize::try_from(day)
            .ok()
            .and_then(|d| self.dates.get(d).copied())
            .unwrap_or_else(|| add_days(self.first, day))
    }

    /// Monday = 0 … Sunday = 6.
    fn weekday(&self, day: i32) -> i32 {
        (self.first_weekday + day).rem_euclid(7)
    }

    /// The day itself, or the Monday after when it falls in a weekend.
    fn bank_day(&self, day: i32) -> i32 {
        match self.weekday(day) {
            5 => day + 2,
            6 => day + 1,
            _ => day,
        }
    }

    /// The first working day of every month in `[from, to]`.
    fn month_starts(&self, from: i32, to: i32) -> Vec<i32> {
        let mut out = Vec::new();
        let mut d = from.max(0);
        // The first month start at or after `from`.
        while d <= to && self.date(d).day() != 1 {
            d += 1;
        }
        while d <= to {
            let working = self.bank_day(d);
            if working <= to {
                out.push(working);
            }
            // The next first of a month lies 28-31 days on.
            let mut next = d + 28;
            while self.date(next).day() != 1 {
                next += 1;
            }
            d = next;
        }
        out
    }
}

/// What an invoice or credit note text says; rendered when the rows are built (plans are kept
/// in memory for a whole batch of debtors, so they hold no strings).
#[derive(Debug, Clone, Copy)]
pub(crate) enum ItemText {
    /// One of the description templates, with an order number.
    Invoice { template: u8, order: u32 },
    /// A credit note for the credited invoice, with a reason.
    Credit(&'static str),
}

/// An invoice or a credit note (negative amounts).
#[derive(Debug, Clone)]
pub(crate) struct PlannedItem {
    pub issue: i32,
    pub due: i32,
    pub amount_minor: i64,
    pub excl_vat_minor: i64,
    /// For a credit note: the position of the invoice it credits.
    pub credits: Option<usize>,
    pub text: ItemText,
}

impl PlannedItem {
    pub(crate) fn is_credit_note(&self) -> bool {
        self.credits.is_some()
    }
}

/// What the payer wrote in the remittance field.
#[derive(Debug, Clone)]
pub(crate) enum PaymentText {
    /// The invoice's structured reference, electronic or as printed.
    Structured {
        invoice: usize,
        printed: bool,
    },
    /// The invoice number in a sentence ("Factuur F2025-0001234").
    Number {
        invoice: usize,
        style: u8,
    },
    /// Part `part` of an invoice paid in parts.
    Part {
        invoice: usize,
        part: u8,
    },
    /// Several invoice numbers (a payment run).
    Numbers {
        invoices: Vec<usize>,
    },
    Free(String),
}

/// A payment with what it settles.
#[derive(Debug, Clone)]
pub(crate) struct PlannedPayment {
    pub day: i32,
    pub amount_minor: i64,
    /// Which of the debtor's IBANs it came from.
    pub iban: usize,
    pub text: PaymentText,
    /// Invoice position and amount; the sum may be below `amount_minor` (unapplied money).
    pub allocations: Vec<(usize, i64)>,
}

/// A credit note settling (part of) the invoice it credits.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PlannedCredit {
    pub credit_note: usize,
    pub invoice: usize,
    pub amount_minor: i64,
    pub day: i32,
}

/// A pause of dunning for a dispute that is still open on `as_of`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PlannedPause {
    pub invoice: usize,
    pub reason: &'static str,
    pub until: i32,
}

/// One debtor's ledger.
#[derive(Debug, Clone)]
pub(crate) struct LedgerPlan {
    pub profile: Profile,
    pub items: Vec<PlannedItem>,
    pub payments: Vec<PlannedPayment>,
    pub credits: Vec<PlannedCredit>,
    pub pause: Option<PlannedPause>,
}

impl LedgerPlan {
    /// Invoices (not credit notes) with something open after every planned allocation.
    pub(crate) fn open_invoices(&self) -> u64 {
        let mut settled: Vec<i64> = vec![0; self.items.len()];
        let allocations = self
            .payments
            .iter()
            .flat_map(|p| p.allocations.iter().copied())
            .chain(self.credits.iter().map(|c| (c.invoice, c.amount_minor)));
        for (i, a) in allocations {
            if let Some(s) = settled.get_mut(i) {
                *s += a;
            }
        }
        self.items
            .iter()
            .zip(settled)
            .filter(|(item, s)| !item.is_credit_note() && item.amount_minor > *s)
            .count() as u64
    }
}

// ------------------------------------------------------------------ debtor traits

/// How often a debtor is invoiced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rhythm {
    /// A fixed amount on the first working day of every month (a contract or subscription).
    Monthly,
    /// Orders at irregular moments, on average every `gap_days`.
    Orders { gap_days: i32 },
}

fn profile(rng: &mut Rng, kind: DebtorKind) -> Profile {
    let weights: &[(Profile, u32)] = match kind {
        DebtorKind::Business => &[
            (Profile::Punctual, 430),
            (Profile::SlightlyLate, 260),
            (Profile::ChronicallyLate, 100),
            (Profile::Disputing, 80),
            (Profile::PartialPayer, 70),
            (Profile::Defaulter, 60),
        ],
        DebtorKind::Consumer => &[
            (Profile::Punctual, 480),
            (Profile::SlightlyLate, 230),
            (Profile::ChronicallyLate, 80),
            (Profile::Disputing, 50),
            (Profile::PartialPayer, 110),
            (Profile::Defaulter, 50),
        ],
    };
    rng.weighted(weights).unwrap_or(Profile::Punctual)
}

/// A number between `lo` and `hi` spread roughly evenly over orders of magnitude: the lower
/// bound doubled a random number of times, then scaled by 1.00-1.99.
fn spread(rng: &mut Rng, lo: i64, hi: i64) -> i64 {
    let mut doublings = 0;
    while lo << (doublings + 1) <= hi {
        doublings += 1;
    }
    let base = lo << rng.range(0, doublings);
    (base * rng.range(100, 199) / 100).clamp(lo, hi)
}

/// VAT at 21 %, rounded half up to the cent.
fn with_vat(excl_minor: i64) -> i64 {
    excl_minor + (excl_minor * 21 + 50) / 100
}

const NL_MONTHS: [&str; 12] = [
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
];
const FR_MONTHS: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

fn month_name(french: bool, date: Date) -> &'static str {
    let i = usize::try_from(date.month() - 1).unwrap_or(0);
    let names = if french { &FR_MONTHS } else { &NL_MONTHS };
    names.get(i).copied().unwrap_or("")
}

/// Draws a description template: 10-11 for a monthly contract, 0-4 for an order.
fn invoice_text(rng: &mut Rng, monthly: bool) -> ItemText {
    if monthly {
        return ItemText::Invoice {
            template: 10 + u8::try_from(rng.below(2)).unwrap_or(0),
            order: 0,
        };
    }
    let order = u32::try_from(rng.range(10_000, 99_999)).unwrap_or(10_000);
    ItemText::Invoice { template: u8::try_from(rng.below(5)).unwrap_or(0), order }
}

/// The description of an invoice.
pub(crate) fn render_invoice_text(
    template: u8,
    order: u32,
    french: bool,
    business: bool,
    date: Date,
) -> String {
    if template >= 10 {
        let m = month_name(french, date);
        let y = date.year();
        return match (french, template) {
            (false, 10) => format!("Abonnement {m} {y}"),
            (false, _) => format!("Servicecontract {m} {y}"),
            (true, 10) => format!("Abonnement {m} {y}"),
            (true, _) => format!("Contrat de service {m} {y}"),
        };
    }
    let week = date.iso_week_date().week();
    match (french, business, template) {
        (false, true, 0) => format!("Levering order {order}"),
        (false, true, 1) => format!("Levering volgens pakbon {order}"),
        (false, true, 2) => format!("Werkzaamheden week {week}"),
        (false, true, 3) => format!("Service en onderhoud {}", month_name(false, date)),
        (false, _, 4) => "Installatie en montage".to_owned(),
        (false, false, 0 | 1) => format!("Webshopbestelling {order}"),
        (false, _, _) => format!("Bestelling {order}"),
        (true, true, 0) => format!("Livraison commande {order}"),
        (true, true, 1) => format!("Livraison selon bon {order}"),
        (true, true, 2) => format!("Travaux semaine {week}"),
        (true, true, 3) => format!("Service et entretien {}", month_name(true, date)),
        (true, _, 4) => "Installation et montage".to_owned(),
        (true, false, 0 | 1) => format!("Commande en ligne {order}"),
        (true, _, _) => format!("Commande {order}"),
    }
}

const NL_CREDIT_REASONS: &[&str] = &[
    "retour goederen",
    "prijscorrectie",
    "beschadigde levering",
    "dubbel gefactureerd",
    "korting na klacht",
];
const FR_CREDIT_REASONS: &[&str] = &[
    "retour de marchandises",
    "correction de prix",
    "livraison endommagée",
    "facturé deux fois",
    "geste commercial",
];
const NL_DISPUTE_REASONS: &[&str] = &[
    "levering onvolledig",
    "kwaliteit niet conform",
    "prijs wijkt af van offerte",
    "dienst niet geleverd",
];
const FR_DISPUTE_REASONS: &[&str] = &[
    "livraison incomplète",
    "qualité non conforme",
    "prix non conforme au devis",
    "service non presté",
];

/// One way an invoice gets settled: payment parts and perhaps a credit note, each on a day
/// (possibly after `as_of`, then it does not happen).
#[derive(Debug, Default)]
struct Settlement {
    /// (day, amount, part number starting at 1 when paid in parts, else 0).
    parts: Vec<(i32, i64, u8)>,
    credit: Option<(i32, i64, &'static str)>,
    /// The invoice was disputed until this day (the day the dispute was resolved).
    disputed_until: Option<i32>,
}

/// The day an invoice gets paid by a debtor of `profile`, counted from its due date; plus
/// whether it is one of a disputing debtor's disputed invoices.
fn pay_offset(rng: &mut Rng, profile: Profile) -> i32 {
    match profile {
        Profile::Punctual if rng.chance(50) => rng.days(1, 10),
        Profile::Punctual => -rng.days(0, 5),
        Profile::SlightlyLate if rng.chance(120) => -rng.days(0, 3),
        Profile::SlightlyLate => rng.days(5, 20),
        Profile::ChronicallyLate if rng.chance(120) => rng.days(10, 30),
        Profile::ChronicallyLate => rng.days(30, 90),
        Profile::Disputing => rng.days(-3, 15),
        Profile::PartialPayer => rng.days(0, 20),
        Profile::Defaulter => rng.days(0, 45),
    }
}

/// Round amounts people choose when paying in parts: a share of the total, down to 10 euro.
fn round_part(total: i64, percent: i64) -> i64 {
    (total * percent / 100 / 1_000 * 1_000).max(1_000)
}

// ------------------------------------------------------------------ the plan

/// What the ledger simulation needs to know besides the debtor.
#[derive(Debug)]
pub(crate) struct LedgerInput<'a> {
    pub seed: u64,
    pub index: u64,
    pub period: &'a Period,
}

/// Plans the ledger of one debtor and completes the debtor with what follows from it (credit
/// limit, key-account segment, a pause for an open dispute).
pub(crate) fn plan(input: &LedgerInput<'_>, party: &mut Party) -> LedgerPlan {
    let mut rng = Rng::stream(input.seed, 2, input.index);
    let period = input.period;
    let last = period.last;
    let business = party.debtor.kind == DebtorKind::Business;
    let french = party.culture.french();
    let profile = profile(&mut rng, party.debtor.kind);

    // Terms, size and rhythm.
    let term: i32 = if business {
        rng.weighted(&[(14, 250), (30, 600), (60, 150)]).unwrap_or(30)
    } else if rng.chance(900) {
        14
    } else {
        30
    };
    let typical_excl: i64 = if business {
        match rng.below(100) {
            0..=49 => spread(&mut rng, 8_000, 80_000),
            50..=84 => spread(&mut rng, 40_000, 400_000),
            _ => spread(&mut rng, 250_000, 2_500_000),
        }
    } else {
        spread(&mut rng, 2_000, 50_000)
    };
    let (rhythm, key_account) = if business {
        match rng.below(100) {
            0..=19 => (Rhythm::Monthly, false),
            20..=43 => (Rhythm::Orders { gap_days: 140 }, false),
            44..=79 => (Rhythm::Orders { gap_days: 66 }, false),
            80..=95 => (Rhythm::Orders { gap_days: 28 }, false),
            _ => (Rhythm::Orders { gap_days: 10 }, true),
        }
    } else if rng.chance(450) {
        // One-off buyers: one gap longer than the period.
        (Rhythm::Orders { gap_days: 10_000 }, false)
    } else {
        (Rhythm::Orders { gap_days: 170 }, false)
    };

    // Active window: many debtors were customers before the period began; some join later,
    // some leave; a defaulter is invoiced for a while after it stopped paying, then no more.
    let join = if rng.chance(650) { 0 } else { rng.days(0, (last - 14).max(0)) };
    let stop_paying = (profile == Profile::Defaulter)
        .then(|| rng.days(join + (last - join) / 4, (last - 30).max(join)));
    let mut end = if rng.chance(120) { rng.days((join + 60).min(last), last) } else { last };
    if let Some(s) = stop_paying {
        end = end.min(s + rng.days(30, 90)).min(last);
    }

    // Issue days.
    let mut issues: Vec<i32> = match rhythm {
        Rhythm::Monthly => period.month_starts(join, end),
        Rhythm::Orders { gap_days } => {
            let mut days = Vec::new();
            let mut d = join + rng.days(0, gap_days.min(end - join).max(0));
            while d <= end {
                days.push(if business { period.bank_day(d).min(last) } else { d });
                d += (gap_days * rng.days(40, 160) / 100).max(1);
            }
            days
        }
    };
    if issues.is_empty() {
        // Every debtor in the demo was invoiced at least once.
        issues.push(rng.days(join, end.max(join)).min(last));
    }
    issues.dedup();

    let monthly_excl = typical_excl / 100 * 100;
    let mut items: Vec<PlannedItem> = issues
        .iter()
        .map(|&issue| {
            let excl = match rhythm {
                Rhythm::Monthly => monthly_excl.max(1_000),
                Rhythm::Orders { .. } => (typical_excl * rng.range(40, 180) / 100).max(500),
            };
            PlannedItem {
                issue,
                due: issue + term,
                amount_minor: with_vat(excl),
                excl_vat_minor: excl,
                credits: None,
                text: invoice_text(&mut rng, rhythm == Rhythm::Monthly),
            }
        })
        .collect();
    let invoices = items.len();

    // How each invoice gets settled.
    let mut settlements: Vec<Settlement> = Vec::with_capacity(invoices);
    for item in &items {
        let mut s = Settlement::default();
        let amount = item.amount_minor;
        let mut net = amount;
        let mut not_before = item.issue + 1;
        let disputed = profile == Profile::Disputing && rng.chance(250);
        if disputed {
            let resolved = item.due + rng.days(30, 150);
            s.disputed_until = Some(resolved);
            let reasons = if french { FR_DISPUTE_REASONS } else { NL_DISPUTE_REASONS };
            let reason = rng.pick(reasons);
            match rng.below(100) {
                0..=44 => s.credit = Some((resolved, amount, reason)),
                45..=74 => {
                    let credit = amount * rng.range(10, 50) / 100;
                    s.credit = Some((resolved, credit, reason));
                    s.parts.push((resolved + rng.days(3, 20), amount - credit, 0));
                }
                _ => s.parts.push((resolved, amount, 0)),
            }
            settlements.push(s);
            continue;
        }
        if rng.chance(10) {
            // A return or a price correction shortly after the invoice.
            let day = item.issue + rng.days(2, (term - 1).clamp(2, 12));
            let credit = if rng.chance(350) { amount } else { amount * rng.range(5, 60) / 100 };
            let reasons = if french { FR_CREDIT_REASONS } else { NL_CREDIT_REASONS };
            s.credit = Some((day, credit.max(1), rng.pick(reasons)));
            net -= credit.max(1);
            not_before = day + 1;
        }
        if net > 0 {
            let parts = if profile == Profile::PartialPayer && net >= 5_000 && !rng.chance(200) {
                if rng.chance(600) { 2 } else { 3 }
            } else {
                1
            };
            let mut day = (item.due + pay_offset(&mut rng, profile)).max(not_before);
            let mut left = net;
            for part in 1..=parts {
                let amount = if part == parts {
                    left
                } else {
                    let share = if part == 1 { rng.range(25, 50) } else { rng.range(20, 35) };
                    round_part(net, share).min(left - 100)
                };
                if amount <= 0 {
                    break;
                }
                s.parts.push((day, amount, if parts > 1 { part } else { 0 }));
                left -= amount;
                day += rng.days(14, 40);
            }
        }
        settlements.push(s);
    }

    // Payment runs: many businesses pay weekly, fortnightly or monthly, several invoices at
    // once; a punctual one in the last run before the due date.
    let runs = business
        && matches!(profile, Profile::Punctual | Profile::SlightlyLate | Profile::ChronicallyLate)
        && invoices >= 4
        && rng.chance(550);
    let run_cycle = rng.weighted(&[(7, 300), (14, 400), (28, 300)]).unwrap_or(14);
    let run_offset = rng.days(0, run_cycle - 1);
    let holder_ibans = party.debtor.ibans.len();

    let mut payments: Vec<PlannedPayment> = Vec::new();
    let mut credits: Vec<PlannedCredit> = Vec::new();
    let mut pause: Option<PlannedPause> = None;
    // Single full payments on a payment-run day, grouped by day before they become payments.
    let mut run_groups: Vec<(i32, Vec<usize>)> = Vec::new();
    for (i, s) in settlements.iter().enumerate() {
        let Some((issue, amount, excl_vat)) =
            items.get(i).map(|it| (it.issue, it.amount_minor, it.excl_vat_minor))
        else {
            continue;
        };
        if let Some((day, credit, reason)) = s.credit
            && day <= last
        {
            let excl = if credit == amount { excl_vat } else { credit * 100 / 121 };
            let position = items.len();
            items.push(PlannedItem {
                issue: day,
                due: day,
                amount_minor: -credit,
                excl_vat_minor: -excl.max(1).min(credit),
                credits: Some(i),
                text: ItemText::Credit(reason),
            });
            credits.push(PlannedCredit {
                credit_note: position,
                invoice: i,
                amount_minor: credit,
                day,
            });
        }
        if let (Some(until), None) = (s.disputed_until, pause)
            && until > last
            && issue <= last
            && rng.chance(500)
        {
            let reasons = if french { FR_DISPUTE_REASONS } else { NL_DISPUTE_REASONS };
            pause = Some(PlannedPause {
                invoice: i,
                reason: rng.pick(reasons),
                until: last + rng.days(7, 30),
            });
        }
        for &(planned, amount, part) in &s.parts {
            let in_run = runs && part == 0 && s.credit.is_none();
            let day = if in_run {
                // The run on or before the planned day, or else the next one.
                let before = planned - (planned - run_offset).rem_euclid(run_cycle);
                let early_enough = profile == Profile::Punctual && before >= issue + 3;
                period.bank_day(if early_enough || before == planned {
                    before
                } else {
                    before + run_cycle
                })
            } else {
                period.bank_day(planned)
            };
            if day > last || stop_paying.is_some_and(|stop| day > stop) {
                continue;
            }
            if in_run {
                match run_groups.iter_mut().find(|(d, _)| *d == day) {
                    Some((_, group)) => group.push(i),
                    None => run_groups.push((day, vec![i])),
                }
                continue;
            }
            let text = if part > 0 {
                if rng.chance(500) {
                    PaymentText::Part { invoice: i, part }
                } else {
                    PaymentText::Structured { invoice: i, printed: rng.chance(300) }
                }
            } else {
                single_text(&mut rng, business, french, i, &party.debtor.number)
            };
            let mut paid = amount;
            if !business && part == 0 && amount % 100 != 0 && rng.chance(20) {
                // Rounded up to whole euros: the cents stay unapplied.
                paid = amount + 100 - amount % 100;
            }
            let iban = if holder_ibans > 1 && rng.chance(150) { 1 } else { 0 };
            payments.push(PlannedPayment {
                day,
                amount_minor: paid,
                iban,
                text,
                allocations: vec![(i, amount)],
            });
            if part == 0 && rng.chance(2) {
                // Paid twice by mistake: the second payment is unapplied money.
                let again = period.bank_day(day + rng.days(1, 10));
                if again <= last {
                    let text = single_text(&mut rng, business, french, i, &party.debtor.number);
                    payments.push(PlannedPayment {
                        day: again,
                        amount_minor: amount,
                        iban,
                        text,
                        allocations: Vec::new(),
                    });
                }
            }
        }
    }
    for (day, group) in run_groups {
        let allocations: Vec<(usize, i64)> =
            group.iter().filter_map(|&i| items.get(i).map(|it| (i, it.amount_minor))).collect();
        let amount = allocations.iter().map(|(_, a)| a).sum();
        let text = if group.len() == 1 {
            single_text(
                &mut rng,
                business,
                french,
                group.first().copied().unwrap_or(0),
                &party.debtor.number,
            )
        } else {
            PaymentText::Numbers { invoices: group }
        };
        payments.push(PlannedPayment { day, amount_minor: amount, iban: 0, text, allocations });
    }
    payments.sort_by_key(|p| p.day);

    // What follows for the debtor record.
    if business && rng.chance(900) {
        // About what is open at a time with some slack: monthly sales times (term + 2 months).
        let typical = with_vat(typical_excl);
        let per_month_x100 = match rhythm {
            Rhythm::Monthly => 100,
            Rhythm::Orders { gap_days } => 3_000 / i64::from(gap_days.max(1)),
        };
        let per_month = (typical * per_month_x100 / 100).max(typical);
        party.debtor.credit_limit = Some(round_limit(per_month * (i64::from(term) / 30 + 2)));
    }
    if key_account {
        party.debtor.segments.push("key-account".to_owned());
    }
    if business && party.sector == Some(Sector::Healthcare) && rng.chance(300) {
        party.debtor.segments.push("public-sector".to_owned());
    }

    LedgerPlan { profile, items, payments, credits, pause }
}

/// The remittance text of a payment for one whole invoice.
fn single_text(
    rng: &mut Rng,
    business: bool,
    french: bool,
    invoice: usize,
    debtor_number: &str,
) -> PaymentText {
    let structured = if business { 850 } else { 700 };
    let roll = rng.below(1000);
    if roll < structured {
        PaymentText::Structured { invoice, printed: rng.chance(300) }
    } else if roll < 970 {
        PaymentText::Number { invoice, style: u8::try_from(rng.below(4)).unwrap_or(0) }
    } else {
        let text = match (french, rng.below(3)) {
            (false, 0) => format!("klantnummer {debtor_number}"),
            (false, 1) => "betaling factuur".to_owned(),
            (false, _) => format!("debiteur {debtor_number} betaling"),
            (true, 0) => format!("client {debtor_number}"),
            (true, 1) => "paiement facture".to_owned(),
            (true, _) => format!("numéro client {debtor_number}"),
        };
        PaymentText::Free(text)
    }
}

/// Renders a payment text with the invoices' numbers and references.
pub(crate) fn render_payment_text(
    text: &PaymentText,
    french: bool,
    number: &dyn Fn(usize) -> String,
    reference: &dyn Fn(usize, bool) -> Option<String>,
) -> Option<String> {
    match text {
        PaymentText::Structured { invoice, printed } => {
            reference(*invoice, *printed).or_else(|| Some(number(*invoice)))
        }
        PaymentText::Number { invoice, style } => {
            let n = number(*invoice);
            Some(match (french, style) {
                (_, 0) => n,
                (false, 1) => format!("Factuur {n}"),
                (false, 2) => format!("fact. {n}"),
                (false, _) => format!("factuurnr {n}"),
                (true, 1) => format!("Facture {n}"),
                (true, 2) => format!("fact. {n}"),
                (true, _) => format!("facture n° {n}"),
            })
        }
        PaymentText::Part { invoice, part } => {
            let n = number(*invoice);
            Some(if french {
                format!("Acompte {part} facture {n}")
            } else {
                format!("Termijn {part} factuur {n}")
            })
        }
        PaymentText::Numbers { invoices } => {
            // A remittance field holds 140 characters: eight numbers fit.
            let list: Vec<String> = invoices.iter().take(8).map(|&i| number(i)).collect();
            let head = if french { "Factures" } else { "Facturen" };
            Some(format!("{head} {}", list.join(" ")))
        }
        PaymentText::Free(text) => Some(text.clone()),
    }
}

/// The text of a credit note.
pub(crate) fn credit_note_text(french: bool, invoice_number: &str, reason: &str) -> String {
    if french {
        format!("Note de crédit pour la facture {invoice_number} : {reason}")
    } else {
        format!("Creditnota bij factuur {invoice_number}: {reason}")
    }
}

/// The reason of a dunning pause for an open dispute.
pub(crate) fn pause_reason(french: bool, invoice_number: &str, reason: &str) -> String {
    if french {
        format!("Litige sur la facture {invoice_number} : {reason}")
    } else {
        format!("Geschil over factuur {invoice_number}: {reason}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::parties;
    use arflow_core::party::OrgCountry;

    fn period() -> Period {
        let as_of = jiff::civil::date(2026, 3, 31);
        Period::new(jiff::civil::date(2024, 3, 31), as_of)
    }

    fn plans(n: u64) -> Vec<(Party, LedgerPlan)> {
        let p = period();
        (0..n)
            .map(|i| {
                let mut party = parties::debtor(42, OrgCountry::Nl, i);
                let plan = plan(&LedgerInput { seed: 42, index: i, period: &p }, &mut party);
                (party, plan)
            })
            .collect()
    }

    #[test]
    fn the_period_knows_weekdays_and_month_starts() {
        let p = period();
        // 2024-03-31 was a Sunday.
        assert_eq!(p.weekday(0), 6);
        assert_eq!(p.bank_day(0), 1);
        assert_eq!(p.date(1), jiff::civil::date(2024, 4, 1));
        let starts = p.month_starts(0, p.last);
        assert_eq!(starts.len(), 24);
        assert!(starts.iter().all(|&d| p.weekday(d) < 5));
    }

    #[test]
    fn about_ten_invoices_per_debtor_with_two_percent_credit_notes() {
        let all = plans(3_000);
        let invoices: usize =
            all.iter().map(|(_, p)| p.items.iter().filter(|i| !i.is_credit_note()).count()).sum();
        let credit_notes: usize =
            all.iter().map(|(_, p)| p.items.iter().filter(|i| i.is_credit_note()).count()).sum();
        let per_debtor = invoices / all.len();
        assert!((8..=12).contains(&per_debtor), "{per_debtor} invoices per debtor");
        let per_mille = credit_notes * 1000 / invoices;
        assert!((12..=30).contains(&per_mille), "{per_mille} ‰ credit notes");
    }

    #[test]
    fn nothing_happens_after_as_of_and_nothing_is_over_allocated() {
        let p = period();
        for (_, plan) in plans(1_000) {
            let mut allocated = vec![0_i64; plan.items.len()];
            for pay in &plan.payments {
                assert!(pay.day <= p.last && pay.day >= 0);
                let sum: i64 = pay.allocations.iter().map(|(_, a)| a).sum();
                assert!(sum <= pay.amount_minor);
                for &(i, a) in &pay.allocations {
                    assert!(a > 0);
                    assert!(pay.day >= plan.items[i].issue);
                    allocated[i] += a;
                }
            }
            for c in &plan.credits {
                assert!(c.day <= p.last);
                allocated[c.invoice] += c.amount_minor;
                assert_eq!(plan.items[c.credit_note].amount_minor, -c.amount_minor);
            }
            for (item, a) in plan.items.iter().zip(&allocated) {
                assert!(item.issue <= p.last && item.due >= item.issue);
                if !item.is_credit_note() {
                    assert!(*a <= item.amount_minor, "{a} > {}", item.amount_minor);
                }
                assert!(item.excl_vat_minor.abs() <= item.amount_minor.abs());
                assert!(item.excl_vat_minor.signum() == item.amount_minor.signum());
            }
        }
    }

    #[test]
    fn every_profile_occurs() {
        let all = plans(500);
        for profile in Profile::ALL {
            assert!(all.iter().any(|(_, p)| p.profile == profile), "{profile:?}");
        }
    }
}
