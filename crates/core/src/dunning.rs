//! Dunning policies and the planner.
//!
//! A [`Policy`] is versioned data: an ordered list of [`Step`]s, each with its trigger, channels,
//! template, charges, minimum open amount and whether a person must approve it. Which policy
//! applies to a debtor is decided by [`Assignments`] (by kind, country, segment, or per debtor).
//!
//! [`plan`] is pure: given the state of each debtor's open items on a date, it decides what a
//! run does — one action per debtor at most, each item at most one step further, never within
//! the minimum gap since the last contact — and says why it skips or refuses the rest. Effects
//! (storing, sending) belong to the caller, which keys each action by [`PlannedAction::key`] so
//! that planning the same thing twice can never send it twice.

use std::collections::BTreeMap;

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::date::add_days;
use crate::money::{Currency, Money};
use crate::party::{CountryCode, DebtorKind, OrgCountry};

/// The message a step sends: the key of its template (one per language).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Template {
    /// Before the due date.
    Courtesy,
    Reminder,
    SecondReminder,
    /// Aanmaning / mise en demeure amiable.
    Demand,
    /// NL: ingebrekestelling, for consumers the 14-day letter of art. 6:96 lid 6 BW.
    NoticeOfDefault,
    /// BE consumers: the free first reminder of art. XIX.2 WER.
    BeConsumerFirstReminder,
    /// Laatste sommatie.
    PreLegal,
    /// Notice that the claim goes to a bailiff or collection agency.
    Handover,
}

impl Template {
    pub const fn as_str(&self) -> &'static str {
        match self {
            Template::Courtesy => "courtesy",
            Template::Reminder => "reminder",
            Template::SecondReminder => "second_reminder",
            Template::Demand => "demand",
            Template::NoticeOfDefault => "notice_of_default",
            Template::BeConsumerFirstReminder => "be_consumer_first_reminder",
            Template::PreLegal => "pre_legal",
            Template::Handover => "handover",
        }
    }
}

/// When a step becomes due for an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "after", rename_all = "snake_case")]
pub enum Trigger {
    /// `days` after the due date (negative: before it, a courtesy reminder).
    DueDate { days: i32 },
    /// `days` after the item's previous step was sent.
    PreviousStep { days: u32 },
}

/// How a step reaches the debtor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Email,
    /// A PDF letter attached to the e-mail.
    LetterAttached,
    /// A PDF letter queued for printing and posting.
    LetterPost,
    Sms,
    /// A task for the debtor's owner to call.
    Phone,
    /// A collection dossier for a bailiff or agency, and a task.
    Handover,
}

impl Channel {
    pub const fn as_str(&self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::LetterAttached => "letter_attached",
            Channel::LetterPost => "letter_post",
            Channel::Sms => "sms",
            Channel::Phone => "phone",
            Channel::Handover => "handover",
        }
    }
}

/// A charge a step adds, subject to the legal rules of the creditor's country.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ChargeRule {
    /// A fixed administration fee (only where the contract and the law allow it).
    Fee { amount: Money },
    /// Statutory collection costs (NL BIK / B2B €40, BE €40 flat or the B2C damages cap).
    CollectionCosts,
    /// Statutory or commercial interest accrued so far.
    Interest,
}

/// One step of a policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// Unique within the policy: `reminder`, `demand`, …
    pub key: String,
    pub template: Template,
    pub trigger: Trigger,
    pub channels: Vec<Channel>,
    pub charges: Vec<ChargeRule>,
    /// The step is skipped while the debtor's items at this step add up to less.
    pub min_open: Money,
    /// A person approves the action before anything goes out.
    pub approval: bool,
}

/// A dunning policy: versioned data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    /// Stable id: `nl-consumer`, `be-business`, or an organisation's own.
    pub id: String,
    pub version: u32,
    pub name: String,
    pub steps: Vec<Step>,
    /// Days that must pass between two contacts with one debtor.
    pub min_gap_days: u32,
    /// One message per debtor listing all its items at a step (else one per item).
    pub one_message_per_debtor: bool,
}

/// Why a policy is not valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("a policy needs at least one step")]
    NoSteps,
    #[error("step {0}: the key is used twice")]
    DuplicateKey(String),
    #[error("step {0}: a step needs at least one channel")]
    NoChannel(String),
    #[error("step {0}: the first step must be timed from the due date")]
    FirstStepAfterPrevious(String),
    #[error("step {0}: due-date triggers must not go backwards")]
    TriggersGoBack(String),
    #[error("step {0}: the minimum open amount must be zero or more")]
    NegativeMinimum(String),
    #[error("policy id must be 1-64 characters a-z, 0-9 and '-'")]
    BadId,
}

/// Most steps a policy may have.
pub const POLICY_STEPS_MAX: usize = 20;

impl Policy {
    /// Checks the policy's own consistency.
    ///
    /// # Errors
    /// The first [`PolicyError`].
    pub fn validate(&self) -> Result<(), PolicyError> {
        let id_ok = !self.id.is_empty()
            && self.id.len() <= 64
            && self.id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !id_ok {
            return Err(PolicyError::BadId);
        }
        if self.steps.is_empty() || self.steps.len() > POLICY_STEPS_MAX {
            return Err(PolicyError::NoSteps);
        }
        let mut last_due_days: Option<i32> = None;
        for (i, s) in self.steps.iter().enumerate() {
            if self.steps.iter().filter(|o| o.key == s.key).count() > 1 {
                return Err(PolicyError::DuplicateKey(s.key.clone()));
            }
            if s.channels.is_empty() {
                return Err(PolicyError::NoChannel(s.key.clone()));
            }
            if s.min_open.is_negative() {
                return Err(PolicyError::NegativeMinimum(s.key.clone()));
            }
            match s.trigger {
                Trigger::PreviousStep { .. } if i == 0 => {
                    return Err(PolicyError::FirstStepAfterPrevious(s.key.clone()));
                }
                Trigger::DueDate { days } => {
                    if last_due_days.is_some_and(|l| days < l) {
                        return Err(PolicyError::TriggersGoBack(s.key.clone()));
                    }
                    last_due_days = Some(days);
                }
                Trigger::PreviousStep { .. } => {}
            }
        }
        Ok(())
    }

    pub fn step(&self, index: usize) -> Option<&Step> {
        self.steps.get(index)
    }
}

fn eur(minor: i64) -> Money {
    Money::from_minor(minor, Currency::EUR)
}

fn step(
    key: &str,
    template: Template,
    trigger: Trigger,
    channels: &[Channel],
    charges: &[ChargeRule],
    min_open_minor: i64,
    approval: bool,
) -> Step {
    Step {
        key: key.into(),
        template,
        trigger,
        channels: channels.to_vec(),
        charges: charges.to_vec(),
        min_open: eur(min_open_minor),
        approval,
    }
}

/// The four policies arflow ships, legally correct out of the box:
///
/// - `nl-consumer`: courtesy reminder, reminder, the 14-day letter (art. 6:96 lid 6 BW: it names
///   the collection costs but charges nothing), then — only after its term has passed — the last
///   demand with statutory collection costs and statutory interest (art. 6:119 BW), then the
///   hand-over, approved by a person.
/// - `nl-business`: reminder, second reminder, demand with collection costs (at least €40,
///   art. 6:96 lid 4 BW, due without a reminder) and commercial interest (art. 6:119a BW),
///   last demand, hand-over.
/// - `be-consumer`: the free first reminder of art. XIX.2 WER, then after its 14-day waiting
///   period the demand with the capped damages and interest (art. XIX.4; only charged where the
///   contract stipulates them — the legal layer checks), last demand, hand-over.
/// - `be-business`: reminder, demand with €40 flat compensation and interest at the rate of the
///   law of 2 August 2002, last demand, hand-over.
pub fn default_policies() -> Vec<Policy> {
    use Channel::{Email, LetterAttached, LetterPost, Phone};
    use ChargeRule::{CollectionCosts, Interest};
    use Template::{
        BeConsumerFirstReminder, Courtesy, Demand, NoticeOfDefault, PreLegal, Reminder,
        SecondReminder,
    };
    let after = |days| Trigger::PreviousStep { days };
    let due = |days| Trigger::DueDate { days };
    vec![
        Policy {
            id: "nl-consumer".into(),
            version: 1,
            name: "Nederland — consumenten".into(),
            steps: vec![
                step("courtesy", Courtesy, due(-3), &[Email], &[], 0, false),
                step("reminder", Reminder, due(7), &[Email], &[], 500, false),
                // The 14-day term runs from the day after delivery (HR 25-11-2016, Fa-Med):
                // the letter goes by e-mail and post, and the next step waits three weeks.
                step(
                    "notice_of_default",
                    NoticeOfDefault,
                    after(10),
                    &[Email, LetterPost],
                    &[],
                    500,
                    false,
                ),
                step(
                    "pre_legal",
                    PreLegal,
                    after(21),
                    &[Email, LetterAttached],
                    &[CollectionCosts, Interest],
                    500,
                    false,
                ),
                step(
                    "handover",
                    Template::Handover,
                    after(14),
                    &[Channel::Handover, Phone],
                    &[],
                    5000,
                    true,
                ),
            ],
            min_gap_days: 7,
            one_message_per_debtor: true,
        },
        Policy {
            id: "nl-business".into(),
            version: 1,
            name: "Nederland — zakelijk".into(),
            steps: vec![
                step("reminder", Reminder, due(3), &[Email], &[], 500, false),
                step("second_reminder", SecondReminder, after(10), &[Email], &[], 500, false),
                step(
                    "demand",
                    Demand,
                    after(10),
                    &[Email, LetterAttached],
                    &[CollectionCosts, Interest],
                    500,
                    false,
                ),
                step("phone", PreLegal, after(7), &[Phone], &[], 500, false),
                step(
                    "pre_legal",
                    PreLegal,
                    after(7),
                    &[Email, LetterPost],
                    &[CollectionCosts, Interest],
                    500,
                    false,
                ),
                step(
                    "handover",
                    Template::Handover,
                    after(14),
                    &[Channel::Handover],
                    &[],
                    5000,
                    true,
                ),
            ],
            min_gap_days: 5,
            one_message_per_debtor: true,
        },
        Policy {
            id: "be-consumer".into(),
            version: 1,
            name: "Belgique / België — consommateurs / consumenten".into(),
            steps: vec![
                step(
                    "first_reminder",
                    BeConsumerFirstReminder,
                    due(5),
                    &[Email, LetterAttached],
                    &[],
                    500,
                    false,
                ),
                // The waiting period is 14 calendar days from the day after an e-mail (from the
                // third working day after a paper letter): nothing may be charged before it ends.
                step(
                    "demand",
                    Demand,
                    after(17),
                    &[Email, LetterAttached],
                    &[CollectionCosts, Interest],
                    500,
                    false,
                ),
                step(
                    "pre_legal",
                    PreLegal,
                    after(14),
                    &[Email, LetterPost],
                    &[Interest],
                    500,
                    false,
                ),
                step(
                    "handover",
                    Template::Handover,
                    after(14),
                    &[Channel::Handover, Phone],
                    &[],
                    5000,
                    true,
                ),
            ],
            min_gap_days: 7,
            one_message_per_debtor: true,
        },
        Policy {
            id: "be-business".into(),
            version: 1,
            name: "Belgique / België — entreprises / ondernemingen".into(),
            steps: vec![
                step("reminder", Reminder, due(3), &[Email], &[], 500, false),
                step(
                    "demand",
                    Demand,
                    after(10),
                    &[Email, LetterAttached],
                    &[CollectionCosts, Interest],
                    500,
                    false,
                ),
                step("phone", PreLegal, after(7), &[Phone], &[], 500, false),
                step(
                    "pre_legal",
                    PreLegal,
                    after(7),
                    &[Email, LetterPost],
                    &[Interest],
                    500,
                    false,
                ),
                step(
                    "handover",
                    Template::Handover,
                    after(14),
                    &[Channel::Handover],
                    &[],
                    5000,
                    true,
                ),
            ],
            min_gap_days: 5,
            one_message_per_debtor: true,
        },
    ]
}

/// The default policy id for a creditor country and debtor kind.
pub fn default_policy_id(creditor: OrgCountry, kind: DebtorKind) -> &'static str {
    match (creditor, kind) {
        (OrgCountry::Nl, DebtorKind::Consumer) => "nl-consumer",
        (OrgCountry::Nl, DebtorKind::Business) => "nl-business",
        (OrgCountry::Be, DebtorKind::Consumer) => "be-consumer",
        (OrgCountry::Be, DebtorKind::Business) => "be-business",
    }
}

/// Which policy applies to whom. The most specific rule wins: debtor, then segment, then
/// country and kind, then kind, then the country default.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assignments {
    pub by_debtor: BTreeMap<String, String>,
    pub by_segment: BTreeMap<String, String>,
    pub by_country_kind: BTreeMap<String, String>,
    pub by_kind: BTreeMap<String, String>,
}

impl Assignments {
    /// The policy id for a debtor. `by_country_kind` keys are `"BE/consumer"`.
    pub fn policy_for(
        &self,
        creditor: OrgCountry,
        debtor_number: &str,
        kind: DebtorKind,
        country: CountryCode,
        segments: &[String],
    ) -> String {
        if let Some(p) = self.by_debtor.get(debtor_number) {
            return p.clone();
        }
        if let Some(p) = segments.iter().find_map(|s| self.by_segment.get(s)) {
            return p.clone();
        }
        if let Some(p) = self.by_country_kind.get(&format!("{country}/{}", kind.as_str())) {
            return p.clone();
        }
        if let Some(p) = self.by_kind.get(kind.as_str()) {
            return p.clone();
        }
        default_policy_id(creditor, kind).to_owned()
    }
}

/// Where an item stands in its policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemState {
    pub invoice_number: String,
    pub due_date: Date,
    pub open: Money,
    /// Index of the last step sent for this item (`None`: none yet).
    pub last_step: Option<usize>,
    pub last_step_on: Option<Date>,
    /// A per-invoice policy override (its id); the item then runs in its own message.
    pub policy_override: Option<String>,
    pub disputed: bool,
    /// Under a promise to pay until this date (inclusive).
    pub promised_until: Option<Date>,
    pub in_payment_plan: bool,
    /// Paused until this date (inclusive).
    pub paused_until: Option<Date>,
    /// NL consumers: the day the 14-day letter (art. 6:96 lid 6 BW) went out for this item.
    pub fourteen_day_letter_sent: Option<Date>,
    /// BE consumers: the day the free first reminder (art. XIX.2 WER) went out for this item.
    pub first_reminder_sent: Option<Date>,
}

/// A debtor and its open items, as the planner sees them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DebtorState {
    pub debtor_number: String,
    pub kind: DebtorKind,
    /// The policy id that applies (see [`Assignments`]).
    pub policy: String,
    /// Dunning of the whole debtor is paused on the run date.
    pub paused: Option<String>,
    pub last_contact_on: Option<Date>,
    pub items: Vec<ItemState>,
}

/// An action the run takes for a debtor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedAction {
    pub debtor: String,
    pub policy: String,
    pub policy_version: u32,
    pub step: String,
    pub step_index: usize,
    pub template: Template,
    pub channels: Vec<Channel>,
    pub charges: Vec<ChargeRule>,
    pub approval: bool,
    /// The items this action moves to `step`, by number (sorted).
    pub invoices: Vec<String>,
    /// The open amount of those items.
    pub open: Money,
}

impl PlannedAction {
    /// The idempotency key of the action's effects: the same debtor, policy version, step and
    /// items can only ever be acted on once.
    pub fn key(&self) -> String {
        crate::ledger::fingerprint(&[
            "dunning",
            &self.debtor,
            &self.policy,
            &self.policy_version.to_string(),
            &self.step,
            &self.invoices.join("\u{1e}"),
        ])
    }
}

/// A debtor (or some of its items) the run leaves alone, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skip {
    pub debtor: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invoice: Option<String>,
    pub reason: String,
}

/// A step the run would have taken but may not, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Refusal {
    pub debtor: String,
    pub step: String,
    pub reason: String,
}

/// What a run decides.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Plan {
    pub as_of: Option<Date>,
    pub actions: Vec<PlannedAction>,
    pub refused: Vec<Refusal>,
    pub skipped: Vec<Skip>,
}

/// A check of the law on a step before it is taken: `Err(reason)` refuses it.
pub trait StepGate {
    /// Whether `step` may be taken on `as_of` for these items of `debtor`.
    ///
    /// # Errors
    /// The reason the law forbids it.
    fn check(
        &self,
        debtor: &DebtorState,
        step: &Step,
        items: &[&ItemState],
        as_of: Date,
    ) -> Result<(), String>;
}

/// A gate that allows everything (for policies without legal preconditions, and tests).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoGate;

impl StepGate for NoGate {
    fn check(&self, _: &DebtorState, _: &Step, _: &[&ItemState], _: Date) -> Result<(), String> {
        Ok(())
    }
}

/// The legal preconditions of charges, from `core::legal`: a step that adds collection costs or
/// interest to a consumer's items is refused while the law does not allow them yet.
///
/// - NL consumers (art. 6:96 lid 6 BW): collection costs only after a compliant 14-day letter
///   whose term has passed ([`crate::legal::nl::fourteen_day_term`]).
/// - BE consumers (art. XIX.2 WER): no costs, damages or interest before the free first
///   reminder's 14-day waiting period has ended ([`crate::legal::be::waiting_period`]; the
///   first reminder goes by e-mail with the letter attached, so the electronic start applies).
///
/// Business debtors have no such precondition (art. 6:96 lid 4 BW; law of 2 August 2002).
#[derive(Debug, Clone, Copy)]
pub struct LegalGate {
    pub creditor: OrgCountry,
}

impl StepGate for LegalGate {
    fn check(
        &self,
        debtor: &DebtorState,
        step: &Step,
        items: &[&ItemState],
        as_of: Date,
    ) -> Result<(), String> {
        if debtor.kind != DebtorKind::Consumer || step.charges.is_empty() {
            return Ok(());
        }
        let charges_costs = step
            .charges
            .iter()
            .any(|c| matches!(c, ChargeRule::CollectionCosts | ChargeRule::Fee { .. }));
        for item in items {
            match self.creditor {
                OrgCountry::Nl if charges_costs => {
                    let Some(sent) = item.fourteen_day_letter_sent else {
                        return Err(format!(
                            "{}: no 14-day letter was sent, so collection costs may not be charged \
                             to a consumer (art. 6:96 lid 6 BW)",
                            item.invoice_number
                        ));
                    };
                    let term = crate::legal::nl::fourteen_day_term(sent);
                    if as_of < term.charges_from {
                        return Err(format!(
                            "{}: the 14-day letter of {sent} runs until {} (presumed receipt {}); \
                             collection costs from {} (art. 6:96 lid 6 BW)",
                            item.invoice_number,
                            term.last_day,
                            term.presumed_receipt,
                            term.charges_from
                        ));
                    }
                }
                OrgCountry::Be => {
                    let Some(sent) = item.first_reminder_sent else {
                        return Err(format!(
                            "{}: the free first reminder was not sent, so nothing may be charged to \
                             a consumer (art. XIX.2 WER)",
                            item.invoice_number
                        ));
                    };
                    let period = crate::legal::be::waiting_period(
                        sent,
                        crate::legal::be::ReminderChannel::Electronic,
                    );
                    if as_of < period.charges_from {
                        return Err(format!(
                            "{}: the waiting period of the first reminder of {sent} runs until {}; \
                             charges from {} (art. XIX.2 WER)",
                            item.invoice_number, period.end, period.charges_from
                        ));
                    }
                }
                OrgCountry::Nl => {}
            }
        }
        Ok(())
    }
}

/// Why an item takes no step on `as_of`, or `None` when it is eligible.
fn item_hold(item: &ItemState, as_of: Date) -> Option<String> {
    if !item.open.is_positive() {
        return Some("nothing open".into());
    }
    if item.disputed {
        return Some("disputed".into());
    }
    if item.in_payment_plan {
        return Some("in a payment plan".into());
    }
    if let Some(until) = item.promised_until.filter(|u| as_of <= *u) {
        return Some(format!("a promise to pay holds it until {until}"));
    }
    if let Some(until) = item.paused_until.filter(|u| as_of <= *u) {
        return Some(format!("paused until {until}"));
    }
    None
}

/// The next step of an item and whether it is due on `as_of`.
fn next_step<'p>(policy: &'p Policy, item: &ItemState, as_of: Date) -> Option<(usize, &'p Step)> {
    let mut index = item.last_step.map_or(0, |l| l + 1);
    // A courtesy step timed before the due date has no point once the date has passed.
    while let Some(Step { trigger: Trigger::DueDate { days }, .. }) = policy.step(index) {
        if *days < 0 && as_of > item.due_date {
            index += 1;
        } else {
            break;
        }
    }
    let s = policy.step(index)?;
    // A promise that passed with the item still open is broken: dunning resumes at once with the
    // next step, whatever its timing.
    if item.promised_until.is_some_and(|u| u < as_of) {
        return Some((index, s));
    }
    let due = match s.trigger {
        Trigger::DueDate { days } => add_days(item.due_date, days) <= as_of,
        Trigger::PreviousStep { days } => item
            .last_step_on
            .is_some_and(|on| add_days(on, i32::try_from(days).unwrap_or(i32::MAX)) <= as_of),
    };
    due.then_some((index, s))
}

/// Decides what a run on `as_of` does. Pure: the same input gives the same plan.
///
/// Per debtor: nothing while dunning is paused or within `min_gap_days` of the last contact;
/// items that are disputed, promised, in a plan or paused are held; every other item whose next
/// step is due moves exactly one step — its own next step, never further: an invoice that
/// became due yesterday gets its first reminder even when its siblings are at the demand. With
/// `one_message_per_debtor` the debtor gets one action per step that is due, listing all its
/// items at that step (the most advanced step first); otherwise one action per item. Items under
/// a per-invoice policy get their own action. A step whose items add up to less than its minimum
/// is skipped; a step the `gate` forbids is refused with the reason.
pub fn plan(
    debtors: &[DebtorState],
    policies: &BTreeMap<String, Policy>,
    as_of: Date,
    gate: &dyn StepGate,
) -> Plan {
    let mut out = Plan { as_of: Some(as_of), ..Plan::default() };
    for d in debtors {
        if let Some(reason) = &d.paused {
            out.skipped.push(Skip {
                debtor: d.debtor_number.clone(),
                invoice: None,
                reason: format!("paused: {reason}"),
            });
            continue;
        }
        // Group due items by the policy they run under.
        let mut groups: BTreeMap<&str, Vec<(usize, &ItemState)>> = BTreeMap::new();
        for item in &d.items {
            if let Some(reason) = item_hold(item, as_of) {
                if item.open.is_positive() {
                    out.skipped.push(Skip {
                        debtor: d.debtor_number.clone(),
                        invoice: Some(item.invoice_number.clone()),
                        reason,
                    });
                }
                continue;
            }
            let policy_id = item.policy_override.as_deref().unwrap_or(&d.policy);
            let Some(policy) = policies.get(policy_id) else {
                out.refused.push(Refusal {
                    debtor: d.debtor_number.clone(),
                    step: String::new(),
                    reason: format!("policy '{policy_id}' does not exist"),
                });
                continue;
            };
            if let Some((index, _)) = next_step(policy, item, as_of) {
                groups.entry(policy_id).or_default().push((index, item));
            }
        }
        if groups.is_empty() {
            continue;
        }
        if let Some(last) = d.last_contact_on {
            let gap = groups
                .keys()
                .filter_map(|p| policies.get(*p))
                .map(|p| p.min_gap_days)
                .max()
                .unwrap_or(0);
            let next = add_days(last, i32::try_from(gap).unwrap_or(i32::MAX));
            if as_of < next {
                out.skipped.push(Skip {
                    debtor: d.debtor_number.clone(),
                    invoice: None,
                    reason: format!("contacted on {last}; the next contact may be on {next}"),
                });
                continue;
            }
        }
        for (policy_id, items) in groups {
            let Some(policy) = policies.get(policy_id) else { continue };
            // Each item goes to its own next step, never further: one message per debtor and
            // step (the most advanced first), or one per item.
            let batches: Vec<Vec<(usize, &ItemState)>> = if policy.one_message_per_debtor {
                let mut by_step: BTreeMap<usize, Vec<(usize, &ItemState)>> = BTreeMap::new();
                for (index, item) in items {
                    by_step.entry(index).or_default().push((index, item));
                }
                by_step.into_values().rev().collect()
            } else {
                items.into_iter().map(|i| vec![i]).collect()
            };
            for batch in batches {
                let Some(index) = batch.iter().map(|(i, _)| *i).max() else { continue };
                let Some(s) = policy.step(index) else { continue };
                let item_refs: Vec<&ItemState> = batch.iter().map(|(_, it)| *it).collect();
                let open =
                    item_refs.iter().try_fold(Money::zero(s.min_open.currency()), |acc, it| {
                        acc.checked_add(it.open)
                    });
                let Ok(open) = open else {
                    out.refused.push(Refusal {
                        debtor: d.debtor_number.clone(),
                        step: s.key.clone(),
                        reason: "items in several currencies: dun them one by one".into(),
                    });
                    continue;
                };
                if open.minor() < s.min_open.minor() {
                    out.skipped.push(Skip {
                        debtor: d.debtor_number.clone(),
                        invoice: None,
                        reason: format!(
                            "{open} {} open is under the minimum of {} for {}",
                            open.currency(),
                            s.min_open,
                            s.key
                        ),
                    });
                    continue;
                }
                if let Err(reason) = gate.check(d, s, &item_refs, as_of) {
                    out.refused.push(Refusal {
                        debtor: d.debtor_number.clone(),
                        step: s.key.clone(),
                        reason,
                    });
                    continue;
                }
                let mut invoices: Vec<String> =
                    item_refs.iter().map(|i| i.invoice_number.clone()).collect();
                invoices.sort();
                out.actions.push(PlannedAction {
                    debtor: d.debtor_number.clone(),
                    policy: policy.id.clone(),
                    policy_version: policy.version,
                    step: s.key.clone(),
                    step_index: index,
                    template: s.template,
                    channels: s.channels.clone(),
                    charges: s.charges.clone(),
                    approval: s.approval,
                    invoices,
                    open,
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn policies() -> BTreeMap<String, Policy> {
        default_policies().into_iter().map(|p| (p.id.clone(), p)).collect()
    }

    fn item(number: &str, due: Date, open_minor: i64) -> ItemState {
        ItemState {
            invoice_number: number.into(),
            due_date: due,
            open: eur(open_minor),
            last_step: None,
            last_step_on: None,
            policy_override: None,
            disputed: false,
            promised_until: None,
            in_payment_plan: false,
            paused_until: None,
            fourteen_day_letter_sent: None,
            first_reminder_sent: None,
        }
    }

    fn debtor(items: Vec<ItemState>) -> DebtorState {
        DebtorState {
            debtor_number: "D1".into(),
            kind: DebtorKind::Business,
            policy: "nl-business".into(),
            paused: None,
            last_contact_on: None,
            items,
        }
    }

    #[test]
    fn the_shipped_policies_are_valid() {
        for p in default_policies() {
            assert_eq!(p.validate(), Ok(()), "{}", p.id);
        }
    }

    #[test]
    fn an_item_gets_its_first_step_once_the_trigger_has_passed() {
        let d = debtor(vec![item("F1", date(2026, 3, 1), 100_00)]);
        let early = plan(std::slice::from_ref(&d), &policies(), date(2026, 3, 3), &NoGate);
        assert!(early.actions.is_empty());
        let due = plan(&[d], &policies(), date(2026, 3, 4), &NoGate);
        assert_eq!(due.actions.len(), 1);
        assert_eq!(due.actions[0].step, "reminder");
        assert_eq!(due.actions[0].invoices, vec!["F1"]);
    }

    #[test]
    fn a_courtesy_reminder_is_not_sent_after_the_due_date() {
        let mut d = debtor(vec![item("F1", date(2026, 3, 1), 100_00)]);
        d.policy = "nl-consumer".into();
        let before = plan(std::slice::from_ref(&d), &policies(), date(2026, 2, 27), &NoGate);
        assert_eq!(before.actions[0].step, "courtesy");
        let after = plan(std::slice::from_ref(&d), &policies(), date(2026, 3, 2), &NoGate);
        assert!(after.actions.is_empty(), "nothing until the reminder is due: {after:?}");
        let later = plan(&[d], &policies(), date(2026, 3, 8), &NoGate);
        assert_eq!(later.actions[0].step, "reminder");
    }

    #[test]
    fn one_message_per_debtor_lists_its_items_per_step_and_no_item_skips_a_step() {
        let mut old = item("F1", date(2026, 1, 1), 100_00);
        old.last_step = Some(0);
        old.last_step_on = Some(date(2026, 1, 4));
        let mut old2 = item("F3", date(2026, 1, 2), 30_00);
        old2.last_step = Some(0);
        old2.last_step_on = Some(date(2026, 1, 4));
        let new = item("F2", date(2026, 3, 1), 50_00);
        // A simulation found the new invoice taken along at its siblings' second reminder,
        // skipping its own first reminder: each item moves to its own next step only.
        let p = plan(&[debtor(vec![old, new, old2])], &policies(), date(2026, 3, 10), &NoGate);
        assert_eq!(p.actions.len(), 2, "{p:?}");
        assert_eq!(p.actions[0].step, "second_reminder");
        assert_eq!(p.actions[0].invoices, vec!["F1", "F3"]);
        assert_eq!(p.actions[0].open, eur(130_00));
        assert_eq!(p.actions[1].step, "reminder");
        assert_eq!(p.actions[1].invoices, vec!["F2"]);
    }

    #[test]
    fn an_item_not_yet_due_is_never_taken_along_by_a_later_step() {
        let mut old = item("F1", date(2026, 1, 1), 100_00);
        old.last_step = Some(0);
        old.last_step_on = Some(date(2026, 1, 4));
        // Due in two days: not in the second reminder of its sibling.
        let soon = item("F2", date(2026, 3, 12), 50_00);
        let p = plan(&[debtor(vec![old, soon])], &policies(), date(2026, 3, 10), &NoGate);
        assert_eq!(p.actions.len(), 1, "{p:?}");
        assert_eq!(p.actions[0].invoices, vec!["F1"]);
    }

    #[test]
    fn a_catch_up_run_moves_an_item_one_step_only() {
        let mut it = item("F1", date(2026, 1, 1), 100_00);
        it.last_step = Some(0);
        it.last_step_on = Some(date(2026, 1, 4));
        // Months later every further step is overdue; still only the next one is planned.
        let p = plan(&[debtor(vec![it])], &policies(), date(2026, 6, 1), &NoGate);
        assert_eq!(p.actions.len(), 1);
        assert_eq!(p.actions[0].step_index, 1);
    }

    #[test]
    fn held_items_and_paused_debtors_are_skipped_with_a_reason() {
        let mut disputed = item("F1", date(2026, 1, 1), 100_00);
        disputed.disputed = true;
        let mut promised = item("F2", date(2026, 1, 1), 100_00);
        promised.promised_until = Some(date(2026, 3, 15));
        let p = plan(&[debtor(vec![disputed, promised])], &policies(), date(2026, 3, 10), &NoGate);
        assert!(p.actions.is_empty());
        let reasons: Vec<&str> = p.skipped.iter().map(|s| s.reason.as_str()).collect();
        assert_eq!(reasons, vec!["disputed", "a promise to pay holds it until 2026-03-15"]);
        let mut paused = debtor(vec![item("F3", date(2026, 1, 1), 100_00)]);
        paused.paused = Some("holiday".into());
        let p = plan(&[paused], &policies(), date(2026, 3, 10), &NoGate);
        assert_eq!(p.skipped[0].reason, "paused: holiday");
    }

    #[test]
    fn a_broken_promise_takes_the_next_step_at_once() {
        // The reminder went out on 03-01; the next step waits 10 days after it (03-11). The
        // debtor promised to pay by 03-05 and did not.
        let mut it = item("F1", date(2026, 1, 1), 100_00);
        it.last_step = Some(0);
        it.last_step_on = Some(date(2026, 3, 1));
        it.promised_until = Some(date(2026, 3, 5));
        // Still held on the last day of the promise.
        let p = plan(&[debtor(vec![it.clone()])], &policies(), date(2026, 3, 5), &NoGate);
        assert!(p.actions.is_empty());
        // The day after: the next step, though its own timing would wait until 03-11.
        let p = plan(&[debtor(vec![it.clone()])], &policies(), date(2026, 3, 6), &NoGate);
        assert_eq!((p.actions.len(), p.actions[0].step_index), (1, 1), "{p:?}");
        // One step only, never two.
        let p = plan(&[debtor(vec![it.clone()])], &policies(), date(2026, 6, 1), &NoGate);
        assert_eq!(p.actions[0].step_index, 1);
        // Without the promise the same day takes nothing.
        it.promised_until = None;
        let p = plan(&[debtor(vec![it])], &policies(), date(2026, 3, 6), &NoGate);
        assert!(p.actions.is_empty());
    }

    #[test]
    fn the_minimum_gap_between_contacts_is_kept() {
        let mut d = debtor(vec![item("F1", date(2026, 3, 1), 100_00)]);
        d.last_contact_on = Some(date(2026, 3, 1));
        let p = plan(std::slice::from_ref(&d), &policies(), date(2026, 3, 5), &NoGate);
        assert!(p.actions.is_empty());
        assert!(p.skipped[0].reason.contains("2026-03-06"), "{:?}", p.skipped);
        let p = plan(&[d], &policies(), date(2026, 3, 6), &NoGate);
        assert_eq!(p.actions.len(), 1);
    }

    #[test]
    fn small_balances_are_skipped_and_gated_steps_refused() {
        let p = plan(
            &[debtor(vec![item("F1", date(2026, 3, 1), 4_99)])],
            &policies(),
            date(2026, 3, 10),
            &NoGate,
        );
        assert!(p.actions.is_empty());
        assert!(p.skipped[0].reason.contains("under the minimum"), "{:?}", p.skipped);

        struct Never;
        impl StepGate for Never {
            fn check(
                &self,
                _: &DebtorState,
                _: &Step,
                _: &[&ItemState],
                _: Date,
            ) -> Result<(), String> {
                Err("the 14-day term has not passed".into())
            }
        }
        let p = plan(
            &[debtor(vec![item("F1", date(2026, 3, 1), 100_00)])],
            &policies(),
            date(2026, 3, 10),
            &Never,
        );
        assert_eq!(p.refused[0].reason, "the 14-day term has not passed");
    }

    #[test]
    fn keys_identify_the_same_action_and_only_it() {
        let d = debtor(vec![item("F1", date(2026, 3, 1), 100_00)]);
        let a = plan(std::slice::from_ref(&d), &policies(), date(2026, 3, 10), &NoGate);
        let b = plan(std::slice::from_ref(&d), &policies(), date(2026, 3, 11), &NoGate);
        assert_eq!(a.actions[0].key(), b.actions[0].key());
        let mut other = d.clone();
        other.items[0].invoice_number = "F2".into();
        let c = plan(&[other], &policies(), date(2026, 3, 10), &NoGate);
        assert_ne!(a.actions[0].key(), c.actions[0].key());
    }

    #[test]
    fn consumer_charges_wait_for_the_fourteen_day_letter_and_the_waiting_period() {
        let gate = LegalGate { creditor: OrgCountry::Nl };
        let policies = policies();
        let p = &policies["nl-consumer"];
        let pre_legal = &p.steps[3];
        let mut d = debtor(vec![item("F1", date(2026, 1, 1), 100_00)]);
        d.kind = DebtorKind::Consumer;
        let it = &d.items[0];
        let err = gate.check(&d, pre_legal, &[it], date(2026, 3, 1)).unwrap_err();
        assert!(err.contains("no 14-day letter"), "{err}");
        let mut with_letter = it.clone();
        // Posted Friday 2026-02-06: presumed receipt Tuesday 02-10, 14 days: Tuesday 02-24.
        with_letter.fourteen_day_letter_sent = Some(date(2026, 2, 6));
        let err = gate.check(&d, pre_legal, &[&with_letter], date(2026, 2, 24)).unwrap_err();
        assert!(err.contains("runs until 2026-02-24"), "{err}");
        assert_eq!(gate.check(&d, pre_legal, &[&with_letter], date(2026, 2, 25)), Ok(()));
        // Businesses need no letter.
        d.kind = DebtorKind::Business;
        assert_eq!(gate.check(&d, pre_legal, &[it], date(2026, 3, 1)), Ok(()));

        let be = LegalGate { creditor: OrgCountry::Be };
        let demand = &policies["be-consumer"].steps[1];
        d.kind = DebtorKind::Consumer;
        let mut reminded = it.clone();
        reminded.first_reminder_sent = Some(date(2026, 3, 2));
        // E-mail on 03-02: the period runs 03-03 to 03-16; charges from 03-17.
        assert!(be.check(&d, demand, &[&reminded], date(2026, 3, 16)).is_err());
        assert_eq!(be.check(&d, demand, &[&reminded], date(2026, 3, 17)), Ok(()));
    }

    #[test]
    fn assignments_pick_the_most_specific_policy() {
        let mut a = Assignments::default();
        assert_eq!(
            a.policy_for(OrgCountry::Nl, "D1", DebtorKind::Consumer, CountryCode::NL, &[]),
            "nl-consumer"
        );
        a.by_kind.insert("consumer".into(), "soft".into());
        a.by_segment.insert("vip".into(), "vip-policy".into());
        a.by_debtor.insert("D9".into(), "special".into());
        assert_eq!(
            a.policy_for(OrgCountry::Nl, "D1", DebtorKind::Consumer, CountryCode::NL, &[]),
            "soft"
        );
        assert_eq!(
            a.policy_for(
                OrgCountry::Nl,
                "D1",
                DebtorKind::Consumer,
                CountryCode::NL,
                &["vip".into()]
            ),
            "vip-policy"
        );
        assert_eq!(
            a.policy_for(
                OrgCountry::Nl,
                "D9",
                DebtorKind::Consumer,
                CountryCode::NL,
                &["vip".into()]
            ),
            "special"
        );
    }

    #[test]
    fn invalid_policies_are_refused_with_the_step() {
        let mut p = default_policies().remove(0);
        p.steps[1].key = p.steps[0].key.clone();
        assert_eq!(p.validate(), Err(PolicyError::DuplicateKey("courtesy".into())));
        let mut p = default_policies().remove(0);
        p.steps.swap(0, 2);
        assert_eq!(
            p.validate(),
            Err(PolicyError::FirstStepAfterPrevious("notice_of_default".into()))
        );
    }
}
