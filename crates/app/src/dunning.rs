//! Dunning runs: plan (pure, in the core) over the open items, then make the effects happen
//! exactly once.
//!
//! A run on a date first claims that date (`dunning_runs`): a second run on the same date is a
//! no-op. Each planned action is stored under its idempotency key in the same transaction as
//! the item state it advances, the contact date and the work it creates (tasks), so a crash
//! either keeps all of it or none, and a re-plan finds the key and does nothing. Messages are
//! delivered after that, each marked `sending` (committed) before it is handed over; at the
//! start of every run, a message left `sending` by a crash becomes `uncertain` and goes to a
//! person: never resent, never dropped.
//!
//! Policies and their assignments are edited here too: a policy edit is checked
//! ([`check_policy`]) and stored as the next version of its id, so actions keep naming the
//! version that made them; assignments are checked rule by rule and every change is audited.

use std::collections::BTreeMap;
use std::sync::Arc;

use arflow_core::date::{Date, add_days};
use arflow_core::dunning::{
    self, Assignments, Channel, ChargeRule, DebtorState, ItemState, Plan, PlannedAction, Policy,
    PolicyError, StepGate, Trigger,
};
use arflow_core::id::{DebtorId, InvoiceId, OrganisationId};
use arflow_core::money::Currency;
use arflow_core::party::{CountryCode, DebtorKind};
use arflow_store::{
    ActionStatus, AuditEntry, DunningDebtorRow, MessageStatus, NewAction, NewTask, RunClaim,
    StoreTx, StoredOrganisation,
};
use serde::{Deserialize, Serialize};

use crate::charges::{
    ChargeLine, ClaimFacts, ClaimItem, claimable_charges, step_charges, stored_charges,
};
use crate::compose::{ComposeInput, compose};
use crate::dossier::{DossierInput, dossier_message};
use crate::{Actor, App, AppError};

/// The JSON of `arflow dunning run --json` (and of a dry run and a preview).
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    pub as_of: Date,
    pub dry_run: bool,
    /// This date's run had finished before: nothing was done again.
    pub already_ran: bool,
    /// An earlier run of this date was interrupted (a crash, a kill): this one finished its
    /// work; what the earlier one had done was not done again.
    pub resumed: bool,
    pub actions: Vec<ActionReport>,
    pub refused: Vec<dunning::Refusal>,
    pub skipped: Vec<dunning::Skip>,
    /// Messages left `sending` by an interrupted run, now `uncertain` and waiting for a person.
    pub uncertain_recovered: u64,
    /// What the look at the payment plans that opens every run did (not in a preview).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plans: Option<crate::plans::FollowReport>,
}

/// One action of a run.
#[derive(Debug, Clone, Serialize)]
pub struct ActionReport {
    pub debtor: String,
    pub step: String,
    pub policy: String,
    pub policy_version: u32,
    pub channels: Vec<Channel>,
    pub invoices: Vec<String>,
    pub open: String,
    pub currency: String,
    pub approval: bool,
    /// Charges the step claims, each on its invoice, by the legal rules of the creditor's
    /// country.
    pub charges: Vec<ChargeLine>,
    /// Messages put in the outbox (after a real run).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub messages: Vec<MessageReport>,
    /// What could not be done automatically (each became a task).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<String>,
    /// The stored action, after a real run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action_id: Option<i64>,
}

fn report_action(a: &PlannedAction) -> ActionReport {
    ActionReport {
        debtor: a.debtor.clone(),
        step: a.step.clone(),
        policy: a.policy.clone(),
        policy_version: a.policy_version,
        channels: a.channels.clone(),
        invoices: a.invoices.clone(),
        open: a.open.to_string(),
        currency: a.open.currency().code().to_owned(),
        approval: a.approval,
        charges: Vec::new(),
        messages: Vec::new(),
        problems: Vec::new(),
        action_id: None,
    }
}

/// A message an action put in the outbox.
#[derive(Debug, Clone, Serialize)]
pub struct MessageReport {
    pub id: i64,
    pub channel: String,
    pub recipient: String,
    pub status: arflow_store::MessageStatus,
    pub attachments: Vec<String>,
}

/// The policies of an organisation by id: its stored versions, else the shipped defaults.
pub(crate) async fn policies_of(
    tx: &mut StoreTx,
    org: OrganisationId,
) -> Result<BTreeMap<String, Policy>, AppError> {
    let mut out: BTreeMap<String, Policy> =
        dunning::default_policies().into_iter().map(|p| (p.id.clone(), p)).collect();
    for (id, version, json) in tx.latest_policies(org).await? {
        let mut p: Policy = serde_json::from_str(&json).map_err(|e| AppError::Invalid {
            field: None,
            message: format!("stored policy {id} v{version} cannot be read: {e}"),
        })?;
        p.version = version;
        out.insert(id, p);
    }
    Ok(out)
}

/// The organisation's assignments: stored ones, else none (every debtor gets its default).
async fn assignments_of(tx: &mut StoreTx, org: OrganisationId) -> Result<Assignments, AppError> {
    let Some((json, _)) = tx.find_dunning_settings(org).await? else {
        return Ok(Assignments::default());
    };
    // Written by `put_dunning_assignments` only; a row that cannot be read is said, not
    // silently replaced by the defaults (which would dun debtors under the wrong policy).
    serde_json::from_str::<AssignmentsInput>(&json).map(Assignments::from).map_err(|e| {
        AppError::Invalid {
            field: None,
            message: format!("the stored dunning assignments cannot be read: {e}"),
        }
    })
}

/// Longest policy name, in characters.
pub const POLICY_NAME_CHARS_MAX: usize = 200;

/// Longest step key, in bytes (`a-z`, `0-9`, `_`, `-`).
pub const STEP_KEY_BYTES_MAX: usize = 64;

/// Most days a trigger counts from the due date or the previous step, and most days of the
/// minimum gap between contacts (a courtesy step may come at most this many days early).
pub const POLICY_DAYS_MAX: u32 = 730;

/// Most rules the four maps of the assignments hold together.
pub const ASSIGNMENT_RULES_MAX: usize = 10_000;

/// Longest key of an assignment rule (a debtor number, a segment), in bytes.
pub const ASSIGNMENT_KEY_BYTES_MAX: usize = 100;

/// The hour of the daily run written with an organisation's first assignments. The stored hour
/// is not read yet (`serve --run-hour` decides); an existing one is kept as it is.
/// Charging actions whose charges a preview computes from one batch of reads.
const PREVIEW_CHARGE_BATCH: usize = 2_000;

const RUN_HOUR_DEFAULT: u32 = 7;

/// What storing a policy did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicySave {
    /// A new version was stored and is in force from the next run.
    Stored,
    /// The version in force has the same rules already: nothing was stored.
    Unchanged,
}

/// Checks a policy before it is stored: the core's own consistency rules
/// ([`Policy::validate`]) plus the limits and what the organisation's runs need: every amount
/// in the organisation's currency (a minimum in another currency could never be compared), no
/// negative fee, no channel or charge twice in one step.
///
/// # Errors
/// [`AppError::Invalid`] with the path of the field (`steps[1].channels`, `min_gap_days`, …).
pub fn check_policy(policy: &Policy, currency: Currency) -> Result<(), AppError> {
    if policy.steps.len() > dunning::POLICY_STEPS_MAX {
        return Err(AppError::invalid(
            "steps",
            format!("a policy has at most {} steps", dunning::POLICY_STEPS_MAX),
        ));
    }
    policy.validate().map_err(|e| policy_error(policy, &e))?;
    let name = policy.name.trim();
    if name.is_empty() || name.chars().count() > POLICY_NAME_CHARS_MAX {
        return Err(AppError::invalid(
            "name",
            format!("a policy needs a name of 1-{POLICY_NAME_CHARS_MAX} characters"),
        ));
    }
    if policy.min_gap_days > POLICY_DAYS_MAX {
        return Err(AppError::invalid("min_gap_days", format!("at most {POLICY_DAYS_MAX} days")));
    }
    for (i, s) in policy.steps.iter().enumerate() {
        let at = |field: &str| format!("steps[{i}].{field}");
        let key_ok = !s.key.is_empty()
            && s.key.len() <= STEP_KEY_BYTES_MAX
            && s.key
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_-".contains(&b));
        if !key_ok {
            return Err(AppError::invalid(
                &at("key"),
                format!(
                    "step {i}: the key must be 1-{STEP_KEY_BYTES_MAX} characters a-z, 0-9, '_' \
                     and '-'"
                ),
            ));
        }
        let days_ok = match s.trigger {
            Trigger::DueDate { days } => days.unsigned_abs() <= POLICY_DAYS_MAX,
            Trigger::PreviousStep { days } => days <= POLICY_DAYS_MAX,
        };
        if !days_ok {
            return Err(AppError::invalid(
                &at("trigger.days"),
                format!("step {}: at most {POLICY_DAYS_MAX} days", s.key),
            ));
        }
        if s.min_open.currency() != currency {
            return Err(AppError::invalid(
                &at("min_open.currency"),
                format!(
                    "step {}: the minimum must be in {} (the organisation's currency), not {}",
                    s.key,
                    currency.code(),
                    s.min_open.currency().code()
                ),
            ));
        }
        for (j, c) in s.channels.iter().enumerate() {
            if s.channels.get(..j).is_some_and(|before| before.contains(c)) {
                return Err(AppError::invalid(
                    &at(&format!("channels[{j}]")),
                    format!("step {}: the channel {} is listed twice", s.key, c.as_str()),
                ));
            }
        }
        for (j, c) in s.charges.iter().enumerate() {
            let field = at(&format!("charges[{j}]"));
            let same_kind = |o: &ChargeRule| std::mem::discriminant(o) == std::mem::discriminant(c);
            if s.charges.get(..j).is_some_and(|before| before.iter().any(same_kind)) {
                return Err(AppError::invalid(
                    &field,
                    format!("step {}: a charge of this kind is listed twice", s.key),
                ));
            }
            if let ChargeRule::Fee { amount } = c {
                if amount.currency() != currency {
                    return Err(AppError::invalid(
                        &format!("{field}.amount.currency"),
                        format!(
                            "step {}: the fee must be in {} (the organisation's currency)",
                            s.key,
                            currency.code()
                        ),
                    ));
                }
                if !amount.is_positive() {
                    return Err(AppError::invalid(
                        &format!("{field}.amount"),
                        format!("step {}: a fee must be more than zero", s.key),
                    ));
                }
            }
        }
    }
    Ok(())
}

/// The core's reason a policy is not valid, with the field it is about.
fn policy_error(policy: &Policy, e: &PolicyError) -> AppError {
    let step = |key: &str, field: &str| {
        let i = policy.steps.iter().position(|s| s.key == key).unwrap_or(0);
        format!("steps[{i}].{field}")
    };
    let field = match e {
        PolicyError::BadId => "id".to_owned(),
        PolicyError::NoSteps => "steps".to_owned(),
        PolicyError::DuplicateKey(k) => {
            // The second step with the key is the one to change.
            let i = policy.steps.iter().enumerate().filter(|(_, s)| &s.key == k).nth(1);
            format!("steps[{}].key", i.map_or(0, |(i, _)| i))
        }
        PolicyError::NoChannel(k) => step(k, "channels"),
        PolicyError::FirstStepAfterPrevious(k) | PolicyError::TriggersGoBack(k) => {
            step(k, "trigger")
        }
        PolicyError::NegativeMinimum(k) => step(k, "min_open"),
    };
    AppError::Invalid { field: Some(field), message: e.to_string() }
}

/// Checks every rule of the assignments: its key can match (a debtor of the organisation, a
/// segment, `BE/consumer`, `business`) and it names a policy of the organisation or a shipped
/// one.
///
/// # Errors
/// [`AppError::Invalid`] with the rule as the field (`by_debtor.D1`, `by_kind.consumer`).
async fn check_assignments(
    tx: &mut StoreTx,
    org: OrganisationId,
    policies: &BTreeMap<String, Policy>,
    a: &Assignments,
) -> Result<(), AppError> {
    let maps = [
        ("by_debtor", &a.by_debtor),
        ("by_segment", &a.by_segment),
        ("by_country_kind", &a.by_country_kind),
        ("by_kind", &a.by_kind),
    ];
    let rules: usize = maps.iter().map(|(_, m)| m.len()).sum();
    if rules > ASSIGNMENT_RULES_MAX {
        return Err(AppError::invalid(
            "assignments",
            format!("at most {ASSIGNMENT_RULES_MAX} rules, not {rules}"),
        ));
    }
    let numbers: Vec<&str> = a.by_debtor.keys().map(String::as_str).collect();
    let debtors = tx.find_debtor_ids(org, &numbers).await?;
    for (map, rules) in maps {
        for (key, policy) in rules {
            let field = format!("{map}.{key}");
            if let Some(reason) = assignment_key_problem(map, key, &debtors) {
                return Err(AppError::Invalid { field: Some(field), message: reason });
            }
            if !policies.contains_key(policy) {
                let known: Vec<&str> = policies.keys().map(String::as_str).collect();
                return Err(AppError::Invalid {
                    field: Some(field),
                    message: format!(
                        "{map} '{key}': there is no policy '{policy}' (there are: {})",
                        known.join(", ")
                    ),
                });
            }
        }
    }
    Ok(())
}

/// Why the key of a rule can never match, or `None`.
fn assignment_key_problem(
    map: &str,
    key: &str,
    debtors: &std::collections::HashMap<String, DebtorId>,
) -> Option<String> {
    if key.is_empty() || key.len() > ASSIGNMENT_KEY_BYTES_MAX {
        return Some(format!("{map}: a key must be 1-{ASSIGNMENT_KEY_BYTES_MAX} characters"));
    }
    let kind_ok = |k: &str| k.parse::<DebtorKind>().is_ok_and(|p| p.as_str() == k);
    match map {
        "by_debtor" if !debtors.contains_key(key) => {
            Some(format!("by_debtor '{key}': there is no debtor with this number"))
        }
        "by_kind" if !kind_ok(key) => {
            Some(format!("by_kind '{key}': the key must be business or consumer"))
        }
        "by_country_kind" => {
            let ok = key.split_once('/').is_some_and(|(country, kind)| {
                CountryCode::parse(country).is_ok_and(|c| c.as_str() == country) && kind_ok(kind)
            });
            (!ok).then(|| {
                format!(
                    "by_country_kind '{key}': the key must be the debtor's country code in \
                     capitals and its kind, like BE/consumer"
                )
            })
        }
        _ => None,
    }
}

/// What changed between two assignments, rule by rule: per map, the rules set (new or changed,
/// with their policy) and the keys removed.
fn assignments_diff(before: &Assignments, after: &Assignments) -> serde_json::Value {
    let pairs = [
        ("by_debtor", &before.by_debtor, &after.by_debtor),
        ("by_segment", &before.by_segment, &after.by_segment),
        ("by_country_kind", &before.by_country_kind, &after.by_country_kind),
        ("by_kind", &before.by_kind, &after.by_kind),
    ];
    let mut out = serde_json::Map::new();
    for (map, old, new) in pairs {
        let set: BTreeMap<&String, &String> =
            new.iter().filter(|(k, v)| old.get(*k) != Some(*v)).collect();
        let removed: Vec<&String> = old.keys().filter(|k| !new.contains_key(*k)).collect();
        if !set.is_empty() || !removed.is_empty() {
            out.insert(map.to_owned(), serde_json::json!({ "set": set, "removed": removed }));
        }
    }
    serde_json::Value::Object(out)
}

/// Assignments as people write them (a file, a request body): any of the four maps may be left
/// out, and a field that is not one of them is an error rather than silently ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AssignmentsInput {
    /// Debtor number → policy id.
    pub by_debtor: BTreeMap<String, String>,
    /// Segment → policy id (the debtor's first segment with a rule wins).
    pub by_segment: BTreeMap<String, String>,
    /// `BE/consumer` (the debtor's country and kind) → policy id.
    pub by_country_kind: BTreeMap<String, String>,
    /// `business` or `consumer` → policy id.
    pub by_kind: BTreeMap<String, String>,
}

impl From<AssignmentsInput> for Assignments {
    fn from(a: AssignmentsInput) -> Assignments {
        Assignments {
            by_debtor: a.by_debtor,
            by_segment: a.by_segment,
            by_country_kind: a.by_country_kind,
            by_kind: a.by_kind,
        }
    }
}

/// The first field of `input` that reading it as `read` left out — a misspelt or unknown field,
/// which serde would otherwise drop without a word — as a path like `steps[1].dayz`.
///
/// [`Policy`] accepts unknown fields (it is core data, read from storage too); an edge that
/// reads a policy people wrote asks this after reading it.
///
/// # Examples
/// ```
/// use arflow_app::dunning::unknown_field;
/// let policy = arflow_core::dunning::default_policies().remove(0);
/// let mut input = serde_json::to_value(&policy).unwrap();
/// assert_eq!(unknown_field(&input, &policy), None);
/// input["steps"][1]["dayz"] = serde_json::json!(3);
/// assert_eq!(unknown_field(&input, &policy).as_deref(), Some("steps[1].dayz"));
/// ```
pub fn unknown_field<T: Serialize>(input: &serde_json::Value, read: &T) -> Option<String> {
    let known = serde_json::to_value(read).ok()?;
    first_extra(input, &known, "")
}

fn first_extra(input: &serde_json::Value, known: &serde_json::Value, path: &str) -> Option<String> {
    use serde_json::Value;
    match (input, known) {
        (Value::Object(i), Value::Object(k)) => i.iter().find_map(|(key, v)| {
            let p = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
            match k.get(key) {
                None => Some(p),
                Some(kv) => first_extra(v, kv, &p),
            }
        }),
        (Value::Array(i), Value::Array(k)) => i
            .iter()
            .zip(k)
            .enumerate()
            .find_map(|(n, (v, kv))| first_extra(v, kv, &format!("{path}[{n}]"))),
        _ => None,
    }
}

/// The planner's view of a debtor.
fn debtor_state(
    org: &StoredOrganisation,
    assignments: &Assignments,
    row: &DunningDebtorRow,
    as_of: Date,
) -> DebtorState {
    let paused =
        row.pause_reason.as_ref().filter(|_| row.pause_until.is_none_or(|u| as_of <= u)).map(|r| {
            match row.pause_until {
                Some(u) => format!("{r} (until {u})"),
                None => r.clone(),
            }
        });
    DebtorState {
        debtor_number: row.number.clone(),
        kind: row.kind,
        policy: assignments.policy_for(
            org.organisation.country,
            &row.number,
            row.kind,
            row.country,
            &row.segments,
        ),
        paused,
        last_contact_on: row.last_contact_on,
        items: row
            .items
            .iter()
            .map(|i| ItemState {
                invoice_number: i.number.clone(),
                due_date: i.due_date,
                open: i.open,
                last_step: i.last_step,
                last_step_on: i.last_step_on,
                policy_override: i.policy_override.clone(),
                disputed: i.disputed,
                promised_until: i.promised_until,
                in_payment_plan: i.in_payment_plan,
                paused_until: i.paused_until,
                fourteen_day_letter_sent: i.fourteen_day_letter_sent,
                first_reminder_sent: i.first_reminder_sent,
            })
            .collect(),
    }
}

impl App {
    /// The policies in force for an organisation (stored versions, else the shipped defaults).
    ///
    /// # Errors
    /// Organisation and store errors.
    pub async fn dunning_policies(&self, org_slug: Option<&str>) -> Result<Vec<Policy>, AppError> {
        let mut tx = self.store.read().await?;
        let org = crate::orgs::resolve_in(&mut tx, org_slug).await?;
        let p = policies_of(&mut tx, org.id).await?;
        tx.rollback().await?;
        Ok(p.into_values().collect())
    }

    /// The policy in force with this id: the organisation's latest stored version, else the
    /// shipped default.
    ///
    /// # Errors
    /// [`AppError::NotFound`] (`policy`) when neither exists; organisation and store errors.
    pub async fn dunning_policy(
        &self,
        org_slug: Option<&str>,
        id: &str,
    ) -> Result<Policy, AppError> {
        let mut tx = self.store.read().await?;
        let org = crate::orgs::resolve_in(&mut tx, org_slug).await?;
        let mut policies = policies_of(&mut tx, org.id).await?;
        tx.rollback().await?;
        policies
            .remove(id)
            .ok_or_else(|| AppError::NotFound { entity: "policy", key: id.to_owned() })
    }

    /// Stores a policy as the next version of its id (after the organisation's latest version,
    /// or after the shipped default it edits), once it has been checked. The same rules as the
    /// version in force store nothing ([`PolicySave::Unchanged`]). An edit made on an older
    /// version than the one in force is refused rather than stored over someone else's edit.
    ///
    /// # Errors
    /// [`AppError::Invalid`] naming the field of the policy's problem (see [`check_policy`]);
    /// [`AppError::Conflict`] (`policy_version`) when the edit is of an older version than the
    /// one in force, or another edit stored the same version first; organisation and store
    /// errors.
    pub async fn put_dunning_policy(
        &self,
        org_slug: Option<&str>,
        mut policy: Policy,
        actor: &Actor,
    ) -> Result<(Policy, PolicySave), AppError> {
        let now = self.now();
        let mut tx = self.store.begin_write().await?;
        let org = crate::orgs::resolve_in(&mut tx, org_slug).await?;
        check_policy(&policy, org.organisation.currency)?;
        let policies = policies_of(&mut tx, org.id).await?;
        let current = policies.get(&policy.id);
        if let Some(c) = current {
            if (Policy { version: c.version, ..policy.clone() }) == *c {
                tx.rollback().await?;
                return Ok((c.clone(), PolicySave::Unchanged));
            }
            if policy.version < c.version {
                return Err(AppError::Conflict {
                    entity: "policy_version",
                    key: format!("{} v{}", c.id, c.version),
                    detail: Some(format!(
                        "this edit is of version {}; show the policy again and make the change \
                         on version {}",
                        policy.version, c.version
                    )),
                });
            }
        }
        let previous = current.map(|c| c.version);
        policy.version = previous.map_or(1, |v| v.saturating_add(1));
        let json = serde_json::to_string(&policy)
            .map_err(|e| AppError::Invalid { field: None, message: e.to_string() })?;
        tx.insert_policy_version(org.id, &policy.id, policy.version, &json, &actor.0, now).await?;
        tx.insert_audit(
            org.id,
            &[AuditEntry {
                at: now,
                actor: actor.0.clone(),
                action: "policy.update".into(),
                entity: "policy".into(),
                entity_key: policy.id.clone(),
                details: serde_json::json!({
                    "version": policy.version, "previous_version": previous,
                }),
            }],
        )
        .await?;
        tx.commit().await?;
        Ok((policy, PolicySave::Stored))
    }

    /// Which policy applies to whom: the organisation's assignments (empty ones when none
    /// were stored: every debtor then gets the default of its kind and the creditor's country).
    ///
    /// # Errors
    /// Organisation and store errors; [`AppError::Invalid`] when the stored ones cannot be read.
    pub async fn dunning_assignments(
        &self,
        org_slug: Option<&str>,
    ) -> Result<Assignments, AppError> {
        let mut tx = self.store.read().await?;
        let org = crate::orgs::resolve_in(&mut tx, org_slug).await?;
        let a = assignments_of(&mut tx, org.id).await?;
        tx.rollback().await?;
        Ok(a)
    }

    /// Replaces the organisation's assignments once every rule has been checked (see
    /// [`check_assignments`]). The audit entry records what changed, rule by rule: the audit log
    /// is the history of the assignments. The same assignments again change nothing.
    ///
    /// # Errors
    /// [`AppError::Invalid`] naming the rule (`by_debtor.D1`, `by_kind.consumer`, …) that names an
    /// unknown policy or debtor, or has a key that can never match; organisation and store
    /// errors.
    pub async fn put_dunning_assignments(
        &self,
        org_slug: Option<&str>,
        assignments: Assignments,
        actor: &Actor,
    ) -> Result<Assignments, AppError> {
        let now = self.now();
        let mut tx = self.store.begin_write().await?;
        let org = crate::orgs::resolve_in(&mut tx, org_slug).await?;
        let policies = policies_of(&mut tx, org.id).await?;
        check_assignments(&mut tx, org.id, &policies, &assignments).await?;
        let settings = tx.find_dunning_settings(org.id).await?;
        let previous = assignments_of(&mut tx, org.id).await?;
        if previous == assignments {
            tx.rollback().await?;
            return Ok(assignments);
        }
        let json = serde_json::to_string(&assignments)
            .map_err(|e| AppError::Invalid { field: None, message: e.to_string() })?;
        let run_hour = settings.map_or(RUN_HOUR_DEFAULT, |(_, hour)| hour);
        tx.put_dunning_settings(org.id, &json, run_hour, now).await?;
        tx.insert_audit(
            org.id,
            &[AuditEntry {
                at: now,
                actor: actor.0.clone(),
                action: "dunning.assignments".into(),
                entity: "assignments".into(),
                entity_key: org.organisation.slug.to_string(),
                details: assignments_diff(&previous, &assignments),
            }],
        )
        .await?;
        tx.commit().await?;
        Ok(assignments)
    }

    /// The policy override of one invoice (`None`: its debtor's policy applies).
    ///
    /// # Errors
    /// [`AppError::NotFound`] for an unknown invoice or a credit note.
    pub async fn invoice_policy(
        &self,
        org_slug: Option<&str>,
        number: &str,
    ) -> Result<InvoicePolicy, AppError> {
        let mut tx = self.store.read().await?;
        let org = crate::orgs::resolve_in(&mut tx, org_slug).await?;
        let invoice = dunned_invoice(&mut tx, org.id, number).await?;
        let policy = tx.item_policy_override(org.id, invoice).await?;
        tx.rollback().await?;
        Ok(InvoicePolicy { invoice: number.to_owned(), policy })
    }

    /// Overrides the policy of one invoice (or with `None` lifts the override): from the next
    /// run on, that invoice follows this policy instead of its debtor's, and is dunned on its
    /// own. Audited with the previous value; the same value again changes nothing.
    ///
    /// # Errors
    /// [`AppError::NotFound`] for an unknown invoice or a credit note; [`AppError::Invalid`]
    /// (field `policy`) for a policy the organisation does not have.
    pub async fn set_invoice_policy(
        &self,
        org_slug: Option<&str>,
        number: &str,
        policy: Option<&str>,
        actor: &Actor,
    ) -> Result<InvoicePolicy, AppError> {
        let now = self.now();
        let mut tx = self.store.begin_write().await?;
        let org = crate::orgs::resolve_in(&mut tx, org_slug).await?;
        let invoice = dunned_invoice(&mut tx, org.id, number).await?;
        if let Some(id) = policy {
            let policies = policies_of(&mut tx, org.id).await?;
            if !policies.contains_key(id) {
                let known: Vec<&str> = policies.keys().map(String::as_str).collect();
                return Err(AppError::invalid(
                    "policy",
                    format!("there is no policy '{id}' (known: {})", known.join(", ")),
                ));
            }
        }
        let previous = tx.item_policy_override(org.id, invoice).await?;
        if previous.as_deref() == policy {
            tx.rollback().await?;
            return Ok(InvoicePolicy { invoice: number.to_owned(), policy: previous });
        }
        tx.set_item_policy_override(org.id, invoice, policy, now).await?;
        tx.insert_audit(
            org.id,
            &[AuditEntry {
                at: now,
                actor: actor.0.clone(),
                action: "dunning.invoice_policy".into(),
                entity: "invoice".into(),
                entity_key: number.to_owned(),
                details: serde_json::json!({ "before": previous, "after": policy }),
            }],
        )
        .await?;
        tx.commit().await?;
        Ok(InvoicePolicy { invoice: number.to_owned(), policy: policy.map(str::to_owned) })
    }

    /// What a run on `as_of` would do, without doing anything.
    ///
    /// # Errors
    /// Organisation and store errors.
    pub async fn dunning_preview(
        &self,
        org_slug: Option<&str>,
        as_of: Option<Date>,
        gate: &(dyn StepGate + Sync),
    ) -> Result<RunReport, AppError> {
        let mut tx = self.store.begin_read().await?;
        let org = crate::orgs::resolve_in(&mut tx, org_slug).await?;
        let as_of = as_of.unwrap_or_else(|| self.today(&org.organisation));
        let started = std::time::Instant::now();
        let (plan, rows) = plan_for(&mut tx, &org, as_of, gate, false).await?;
        tracing::debug!(ms = started.elapsed().as_millis() as u64, "preview phase: plan");
        let started = std::time::Instant::now();
        let mut facts_ms = 0u128;
        let by_number: BTreeMap<&str, &DunningDebtorRow> =
            rows.iter().map(|r| (r.number.as_str(), r)).collect();
        let mut actions: Vec<ActionReport> = plan.actions.iter().map(report_action).collect();
        // The charges of the actions that claim any, read in batches of actions: the items, their
        // payments, their debtors' letters and the fees charged so far, a few queries per batch.
        let charging: Vec<usize> =
            (0..plan.actions.len()).filter(|&i| !plan.actions[i].charges.is_empty()).collect();
        for batch in charging.chunks(PREVIEW_CHARGE_BATCH) {
            let items: Vec<Vec<ClaimItem<'_>>> = batch
                .iter()
                .map(|&i| {
                    let action = &plan.actions[i];
                    let Some(row) = by_number.get(action.debtor.as_str()) else {
                        return Vec::new();
                    };
                    action
                        .invoices
                        .iter()
                        .filter_map(|n| row.items.iter().find(|it| &it.number == n))
                        .map(|it| ClaimItem::of_row(row.debtor_id, it))
                        .collect()
                })
                .collect();
            let all: Vec<ClaimItem<'_>> = items.iter().flatten().copied().collect();
            let t = std::time::Instant::now();
            let facts = ClaimFacts::load(&mut tx, org.id, &all).await?;
            facts_ms += t.elapsed().as_millis();
            for (&i, items) in batch.iter().zip(&items) {
                let action = &plan.actions[i];
                let Some(row) = by_number.get(action.debtor.as_str()) else { continue };
                let charges = step_charges(self, &org, row.kind, items, action, as_of, &facts)?;
                let numbers: Vec<&str> = items.iter().map(|it| it.number).collect();
                actions[i].charges = charge_lines(&numbers, &charges);
            }
        }
        tracing::debug!(
            ms = started.elapsed().as_millis() as u64,
            facts_ms = facts_ms as u64,
            charging = charging.len(),
            "preview phase: charges"
        );
        tx.rollback().await?;
        Ok(RunReport {
            as_of,
            dry_run: true,
            already_ran: false,
            resumed: false,
            actions,
            refused: plan.refused,
            skipped: plan.skipped,
            uncertain_recovered: 0,
            plans: None,
        })
    }

    /// Runs dunning for `as_of` (default: today in the organisation's zone). With `dry_run`, only
    /// plans. A second run on the same date does nothing and says so.
    ///
    /// # Errors
    /// Organisation and store errors.
    pub async fn dunning_run(
        &self,
        org_slug: Option<&str>,
        as_of: Option<Date>,
        dry_run: bool,
        gate: &(dyn StepGate + Sync),
        actor: &Actor,
    ) -> Result<RunReport, AppError> {
        if dry_run {
            return self.dunning_preview(org_slug, as_of, gate).await;
        }
        self.dunning_run_inner(org_slug, as_of, gate, actor, None).await
    }

    /// The run; `started` is notified once the run has claimed its date and recovered the
    /// messages a crash left `sending` (from then on a deliverer may claim messages).
    pub(crate) async fn dunning_run_inner(
        &self,
        org_slug: Option<&str>,
        as_of: Option<Date>,
        gate: &(dyn StepGate + Sync),
        actor: &Actor,
        started: Option<&tokio::sync::Notify>,
    ) -> Result<RunReport, AppError> {
        let now = self.now();
        let org = self.resolve_organisation(org_slug).await?;
        let as_of = as_of.unwrap_or_else(|| self.today(&org.organisation));
        // The dashboard's plan of this run is about to be outdated.
        self.forget_next_run(org.id);
        // Payment plans first: a completed one lets go of its invoices, a broken one hands them
        // back to dunning (with a task), before the run plans what to do.
        let plans = self.follow_plans(org.id, as_of, actor).await?;

        // Claim the date and recover what a crash left behind.
        let mut tx = self.store.begin_write().await?;
        let uncertain = tx.mark_sending_uncertain(org.id).await?;
        let claim = tx.start_run(org.id, as_of, now).await?;
        if claim == RunClaim::Resumed {
            tracing::warn!(%as_of, "resuming the interrupted dunning run of this date");
        }
        if claim == RunClaim::AlreadyDone {
            tx.commit().await?;
            return Ok(RunReport {
                as_of,
                dry_run: false,
                already_ran: true,
                resumed: false,
                actions: Vec::new(),
                refused: Vec::new(),
                skipped: Vec::new(),
                uncertain_recovered: uncertain,
                plans: Some(plans),
            });
        }
        let (plan, rows) = plan_for(&mut tx, &org, as_of, gate, claim == RunClaim::Resumed).await?;
        tx.commit().await?;
        if let Some(started) = started {
            started.notify_one();
        }

        let by_number: BTreeMap<&str, &DunningDebtorRow> =
            rows.iter().map(|r| (r.number.as_str(), r)).collect();
        let mut tx = self.store.read().await?;
        let own_templates = crate::templates::templates_of(&mut tx, org.id).await?;
        let branding = Arc::new(tx.branding(org.id).await?);
        tx.rollback().await?;
        let templates = own_templates.map(Arc::new).unwrap_or_else(|| self.templates());
        let writing = Writing { templates, branding };
        // Messages (PDF letters above all) are made ahead, on every core, while the actions
        // are stored one by one in plan order.
        let jobs: Vec<(&PlannedAction, &DunningDebtorRow)> = plan
            .actions
            .iter()
            .filter_map(|a| by_number.get(a.debtor.as_str()).map(|row| (a, *row)))
            .collect();
        let ahead = std::thread::available_parallelism().map_or(2, |n| n.get()).max(2) * 4;
        let mut reports = Vec::with_capacity(plan.actions.len());
        let chunks: Vec<&[(&PlannedAction, &DunningDebtorRow)]> = jobs.chunks(ahead).collect();
        // A pipeline: while one chunk's actions are stored, the next chunk is rendered.
        let mut made = self
            .prepare_all(&org, chunks.first().copied().unwrap_or_default(), as_of, &writing)
            .await;
        for k in 0..chunks.len() {
            let chunk = chunks[k];
            let this = std::mem::take(&mut made);
            // The chunk's actions in one transaction: each is all-or-nothing with its effects,
            // and the chunk commits (and syncs to disk) once.
            let store = async {
                let mut tx = self.store.begin_write().await?;
                for ((action, row), p) in chunk.iter().zip(this) {
                    let mut report = report_action(action);
                    self.take_action(&mut tx, &org, row, action, as_of, actor, p?, &mut report)
                        .await?;
                    reports.push(report);
                }
                tx.commit().await?;
                Ok::<(), AppError>(())
            };
            let next_chunk = chunks.get(k + 1).copied().unwrap_or_default();
            let (stored, next) =
                tokio::join!(store, self.prepare_all(&org, next_chunk, as_of, &writing));
            stored?;
            made = next;
        }

        let mut tx = self.store.begin_write().await?;
        let summary = serde_json::json!({
            "actions": reports.len(), "refused": plan.refused.len(), "skipped": plan.skipped.len(),
        });
        tx.finish_run(org.id, as_of, &summary.to_string(), self.now()).await?;
        tx.insert_audit(
            org.id,
            &[AuditEntry {
                at: now,
                actor: actor.0.clone(),
                action: "dunning.run".into(),
                entity: "run".into(),
                entity_key: as_of.to_string(),
                details: summary,
            }],
        )
        .await?;
        tx.commit().await?;
        Ok(RunReport {
            as_of,
            dry_run: false,
            already_ran: false,
            resumed: claim == RunClaim::Resumed,
            actions: reports,
            refused: plan.refused,
            skipped: plan.skipped,
            uncertain_recovered: uncertain,
            plans: Some(plans),
        })
    }

    /// Stores one action with everything it changes, in one transaction: the action under its
    /// key, the charges it claims, its messages in the outbox, the item state, the contact date,
    /// its tasks and the audit. Fills `report`; leaves `action_id` `None` when an action with its
    /// key exists (it was taken before: nothing happens again).
    async fn take_action(
        &self,
        tx: &mut StoreTx,
        org: &StoredOrganisation,
        row: &DunningDebtorRow,
        action: &PlannedAction,
        as_of: Date,
        actor: &Actor,
        prepared: Prepared,
        report: &mut ActionReport,
    ) -> Result<(), AppError> {
        let now = self.now();
        let id = tx.reserve_ids(org.id, "action", 1).await?;
        let status =
            if action.approval { ActionStatus::AwaitingApproval } else { ActionStatus::Planned };
        let stored = tx
            .insert_action(
                org.id,
                id,
                &NewAction {
                    idempotency_key: action.key(),
                    run_date: as_of,
                    debtor_id: row.debtor_id,
                    policy_id: action.policy.clone(),
                    policy_version: action.policy_version,
                    step_key: action.step.clone(),
                    step_index: action.step_index,
                    template: action.template.as_str().to_owned(),
                    channels: action.channels.iter().map(|c| c.as_str().to_owned()).collect(),
                    invoices: action.invoices.clone(),
                    open: action.open,
                    status,
                },
                now,
            )
            .await?;
        if !stored {
            return Ok(());
        }
        report.action_id = Some(id);
        // A promise that passed with the items still open is broken: this step resumes dunning
        // (the planner took it at once), the promise is cleared and someone is told.
        let broken: Vec<&arflow_store::DunningItemRow> = row
            .items
            .iter()
            .filter(|i| action.invoices.contains(&i.number))
            .filter(|i| i.promised_until.is_some_and(|u| u < as_of))
            .collect();
        if let Some(until) = broken.iter().filter_map(|i| i.promised_until).max() {
            for item in &broken {
                tx.clear_item_promise(org.id, item.invoice_id, now).await?;
            }
            let task_id = tx.reserve_ids(org.id, "task", 1).await?;
            let numbers: Vec<&str> = broken.iter().map(|i| i.number.as_str()).collect();
            tx.insert_task(
                org.id,
                task_id,
                &NewTask {
                    debtor_id: row.debtor_id,
                    action_id: Some(id),
                    kind: "promise_broken".into(),
                    title: format!(
                        "{} promised to pay {} (held until {until}) and did not; dunning resumed with {}",
                        row.number,
                        numbers.join(", "),
                        action.step
                    ),
                    owner: row.owner.clone(),
                    due_on: as_of,
                },
                now,
            )
            .await?;
        }
        let Prepared { invoices, charges, messages, problems, link } = prepared;
        if let Some(link) = &link
            && !messages.is_empty()
        {
            self.store_planned_link(tx, org.id, row.debtor_id, link).await?;
        }
        if !charges.is_empty() {
            let first = tx.reserve_ids(org.id, "charge", charges.len() as u64).await?;
            tx.insert_charges(org.id, &stored_charges(first, id, &invoices, &charges, as_of), now)
                .await?;
        }
        let numbers: Vec<&str> = invoices.iter().map(|i| i.invoice.number.as_str()).collect();
        report.charges = charge_lines(&numbers, &charges);
        for mut m in messages {
            m.message.action_id = id;
            // A step a person must approve keeps its messages held until then.
            if action.approval && m.status == MessageStatus::Planned {
                m.status = MessageStatus::Held;
            }
            let message_id = tx.reserve_ids(org.id, "message", 1).await?;
            tx.insert_message(org.id, message_id, &m.message, m.status, now).await?;
            report.messages.push(MessageReport {
                id: message_id,
                channel: m.message.channel.clone(),
                recipient: m.message.recipient.clone(),
                status: m.status,
                attachments: m.message.attachments.iter().map(|a| a.file_name.clone()).collect(),
            });
        }
        for problem in &problems {
            let task_id = tx.reserve_ids(org.id, "task", 1).await?;
            let task = NewTask {
                debtor_id: row.debtor_id,
                action_id: Some(id),
                kind: "message".into(),
                title: format!("Step '{}' for {}: {problem}", action.step, action.debtor),
                owner: row.owner.clone(),
                due_on: as_of,
            };
            tx.insert_task(org.id, task_id, &task, now).await?;
        }
        report.problems = problems;
        let invoice_ids: Vec<InvoiceId> = row
            .items
            .iter()
            .filter(|i| action.invoices.contains(&i.number))
            .map(|i| i.invoice_id)
            .collect();
        tx.advance_items(
            org.id,
            &invoice_ids,
            action.step_index,
            &action.step,
            as_of,
            (&action.policy, action.policy_version),
            now,
        )
        .await?;
        tx.set_last_contact(org.id, row.debtor_id, as_of, now).await?;
        for task in tasks_for(action, row.debtor_id, row.owner.clone(), id, as_of) {
            let task_id = tx.reserve_ids(org.id, "task", 1).await?;
            tx.insert_task(org.id, task_id, &task, now).await?;
        }
        tx.insert_audit(
            org.id,
            &[AuditEntry {
                at: now,
                actor: actor.0.clone(),
                action: "dunning.action".into(),
                entity: "debtor".into(),
                entity_key: row.number.clone(),
                details: serde_json::json!({
                    "action": id, "step": action.step, "policy": action.policy,
                    "policy_version": action.policy_version, "invoices": action.invoices,
                }),
            }],
        )
        .await?;
        Ok(())
    }
}

/// What a run writes its messages with: the organisation's templates and look.
pub(crate) struct Writing {
    templates: Arc<arflow_notify::templates::Templates>,
    branding: Arc<arflow_core::brand::Branding>,
}

/// What an action stores besides itself, made before its write transaction.
pub(crate) struct Prepared {
    invoices: Vec<arflow_store::StoredInvoice>,
    charges: Vec<(usize, arflow_core::legal::Charge)>,
    messages: Vec<crate::compose::Composed>,
    problems: Vec<String>,
    /// The portal link the messages carry, stored with them when it is new.
    link: Option<crate::portal::PlannedLink>,
}

impl App {
    /// [`prepare`](Self::prepare)s actions at once (their PDFs on every core).
    async fn prepare_all(
        &self,
        org: &StoredOrganisation,
        chunk: &[(&PlannedAction, &DunningDebtorRow)],
        as_of: Date,
        writing: &Writing,
    ) -> Vec<Result<Prepared, AppError>> {
        let futures =
            chunk.iter().map(|(action, row)| self.prepare(org, row, action, as_of, writing));
        futures_util::future::join_all(futures).await
    }

    /// Reads what an action needs, computes its charges and renders its messages (the PDF on a
    /// blocking thread). Changes nothing.
    async fn prepare(
        &self,
        org: &StoredOrganisation,
        row: &DunningDebtorRow,
        action: &PlannedAction,
        as_of: Date,
        writing: &Writing,
    ) -> Result<Prepared, AppError> {
        let mut tx = self.store.read().await?;
        let invoices = action_invoices(&mut tx, org, action).await?;
        let charges = if action.charges.is_empty() {
            Vec::new()
        } else {
            let items: Vec<ClaimItem<'_>> = invoices.iter().map(ClaimItem::of_invoice).collect();
            let facts = ClaimFacts::load(&mut tx, org.id, &items).await?;
            step_charges(self, org, row.kind, &items, action, as_of, &facts)?
        };
        let debtor = tx.get_debtor(org.id, row.debtor_id).await?;
        // Messages carry the debtor's personal portal link when arflow knows its public address
        // (an action without a message needs none).
        let link = match self.public_url.as_deref() {
            Some(_) if wants_message(action) => {
                Some(self.plan_link(&mut tx, org.id, row.debtor_id, as_of).await?)
            }
            _ => None,
        };
        let portal_url = link.as_ref().and_then(|l| {
            self.public_url
                .as_deref()
                .map(|base| format!("{}/p/{}", base.trim_end_matches('/'), l.token))
        });
        // A hand-over carries the collection dossier: the items' settlements and the letters.
        let handover = if action.channels.contains(&Channel::Handover) {
            let ids: Vec<InvoiceId> = invoices.iter().map(|i| i.id).collect();
            let allocations = tx.list_allocations_to_items(org.id, &ids).await?;
            let history = tx.list_actions_of_debtors(org.id, &[row.debtor_id], None).await?;
            // What the collection partner may claim: interest to date, costs, fees charged.
            let items: Vec<ClaimItem<'_>> = invoices.iter().map(ClaimItem::of_invoice).collect();
            let facts = ClaimFacts::load(&mut tx, org.id, &items).await?;
            let claimable = claimable_charges(self, org, row.kind, &items, as_of, &facts)?;
            Some((allocations, history, claimable))
        } else {
            None
        };
        tx.rollback().await?;
        let (app, org, action, templates, branding) = (
            self.clone(),
            org.clone(),
            action.clone(),
            Arc::clone(&writing.templates),
            Arc::clone(&writing.branding),
        );
        let (invoices, charges, messages, problems) = tokio::task::spawn_blocking(move || {
            let input = ComposeInput {
                org: &org,
                debtor: &debtor,
                invoices: &invoices,
                charges: &charges,
                action: &action,
                // Set when the action is stored.
                action_id: 0,
                as_of,
                branding: &branding,
                portal_url: portal_url.as_deref(),
            };
            let (mut messages, mut problems) = compose(&input, &templates, app.letters());
            if let Some((allocations, history, claimable)) = &handover {
                let dossier = DossierInput {
                    org: &org.organisation,
                    debtor: &debtor,
                    invoices: &invoices,
                    charges: claimable,
                    allocations,
                    history,
                    action: &action,
                    as_of,
                };
                match dossier_message(&dossier) {
                    Ok(m) => messages.push(m),
                    Err(e) => {
                        problems.push(format!("the collection dossier could not be made: {e}"))
                    }
                }
            }
            (invoices, charges, messages, problems)
        })
        .await
        .map_err(|e| AppError::Invalid {
            field: None,
            message: format!("rendering failed: {e}"),
        })?;
        Ok(Prepared { invoices, charges, messages, problems, link })
    }
}

/// Whether an action sends a message (and so carries a portal link).
fn wants_message(action: &PlannedAction) -> bool {
    action.channels.iter().any(|c| {
        matches!(c, Channel::Email | Channel::LetterAttached | Channel::LetterPost | Channel::Sms)
    })
}

/// The policy of one invoice: `policy` overrides its debtor's when set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InvoicePolicy {
    pub invoice: String,
    pub policy: Option<String>,
}

/// The id of invoice `number` (not a credit note: those are not dunned).
async fn dunned_invoice(
    tx: &mut StoreTx,
    org: OrganisationId,
    number: &str,
) -> Result<InvoiceId, AppError> {
    match tx.find_invoice_by_number(org, number).await? {
        Some(i) if i.invoice.kind == arflow_core::ledger::InvoiceKind::Invoice => Ok(i.id),
        _ => Err(AppError::NotFound { entity: "invoice", key: number.to_owned() }),
    }
}

/// The stored items of an action, in the action's order.
async fn action_invoices(
    tx: &mut StoreTx,
    org: &StoredOrganisation,
    action: &PlannedAction,
) -> Result<Vec<arflow_store::StoredInvoice>, AppError> {
    let refs: Vec<&str> = action.invoices.iter().map(String::as_str).collect();
    let mut found = tx.find_invoices_by_numbers(org.id, &refs).await?;
    Ok(action.invoices.iter().filter_map(|n| found.remove(n)).collect())
}

fn charge_lines(
    numbers: &[&str],
    charges: &[(usize, arflow_core::legal::Charge)],
) -> Vec<ChargeLine> {
    charges.iter().map(|(i, c)| ChargeLine::new(Some(numbers[*i]), c)).collect()
}

/// The work a person gets from an action: a call, a hand-over, an approval.
fn tasks_for(
    action: &PlannedAction,
    debtor: DebtorId,
    owner: Option<String>,
    action_id: i64,
    as_of: Date,
) -> Vec<NewTask> {
    let mut out = Vec::new();
    let new = |kind: &str, title: String, due_in: i32| NewTask {
        debtor_id: debtor,
        action_id: Some(action_id),
        kind: kind.into(),
        title,
        owner: owner.clone(),
        due_on: add_days(as_of, due_in),
    };
    let items = action.invoices.join(", ");
    if action.approval {
        out.push(new(
            "approval",
            format!("Approve step '{}' for {} ({items})", action.step, action.debtor),
            1,
        ));
    }
    if action.channels.contains(&Channel::Phone) {
        out.push(new(
            "phone",
            format!("Call {} about {items} ({} open)", action.debtor, action.open),
            2,
        ));
    }
    if action.channels.contains(&Channel::Handover) {
        out.push(new(
            "handover",
            format!("Hand over {} ({items}) to collection", action.debtor),
            3,
        ));
    }
    out
}

/// Reads the open items and plans.
///
/// `resumed`: the plan of an interrupted run of `as_of` being finished. A contact on `as_of` is
/// then the interrupted attempt's own: the items it acted on have had their step of the day, and
/// the debtor's other items are planned as they were before that attempt (the minimum gap was
/// judged then), so the resumed run does what the interrupted one would have done.
pub(crate) async fn plan_for(
    tx: &mut StoreTx,
    org: &StoredOrganisation,
    as_of: Date,
    gate: &(dyn StepGate + Sync),
    resumed: bool,
) -> Result<(Plan, Vec<DunningDebtorRow>), AppError> {
    let policies = policies_of(tx, org.id).await?;
    let assignments = assignments_of(tx, org.id).await?;
    let mut rows = tx.dunning_candidates(org.id, org.organisation.currency).await?;
    if resumed {
        for row in rows.iter_mut().filter(|r| r.last_contact_on == Some(as_of)) {
            row.last_contact_on = None;
            row.items.retain(|i| i.last_step_on != Some(as_of));
        }
    }
    let states: Vec<DebtorState> =
        rows.iter().map(|r| debtor_state(org, &assignments, r, as_of)).collect();
    Ok((dunning::plan(&states, &policies, as_of, gate), rows))
}

/// Outcomes a task can be completed with; the next run uses them.
pub const TASK_OUTCOMES: &[&str] =
    &["reached", "promised", "disputed", "no_answer", "done", "approved", "rejected"];

impl App {
    /// The outbox: messages, newest first, optionally of one status.
    ///
    /// # Errors
    /// Organisation and store errors.
    pub async fn outbox(
        &self,
        org_slug: Option<&str>,
        status: Option<arflow_store::MessageStatus>,
        page: arflow_store::Page,
    ) -> Result<Vec<arflow_store::StoredMessage>, AppError> {
        let mut tx = self.store.read().await?;
        let org = crate::orgs::resolve_in(&mut tx, org_slug).await?;
        let mut list = tx.list_messages(org.id, status, None, page).await?;
        for m in &mut list {
            m.message.attachments = tx.message_attachments(org.id, m.id).await?;
        }
        tx.rollback().await?;
        Ok(list)
    }

    /// One attachment of a message in the outbox (a letter queued for print, a collection
    /// dossier), by its position.
    ///
    /// # Errors
    /// [`AppError::NotFound`] when the message or the attachment does not exist.
    pub async fn message_attachment(
        &self,
        org_slug: Option<&str>,
        message: i64,
        index: usize,
    ) -> Result<arflow_store::Attachment, AppError> {
        let mut tx = self.store.read().await?;
        let org = crate::orgs::resolve_in(&mut tx, org_slug).await?;
        let mut all = tx.message_attachments(org.id, message).await?;
        tx.rollback().await?;
        if index >= all.len() {
            return Err(AppError::NotFound {
                entity: "attachment",
                key: format!("{message}/{index}"),
            });
        }
        Ok(all.swap_remove(index))
    }

    /// Tasks, open ones only unless `all`.
    ///
    /// # Errors
    /// Organisation and store errors.
    pub async fn tasks(
        &self,
        org_slug: Option<&str>,
        all: bool,
        owner: Option<&str>,
        page: arflow_store::Page,
    ) -> Result<Vec<arflow_store::StoredTask>, AppError> {
        let mut tx = self.store.read().await?;
        let org = crate::orgs::resolve_in(&mut tx, org_slug).await?;
        let list = tx.list_tasks(org.id, !all, owner, None, page).await?;
        tx.rollback().await?;
        Ok(list)
    }

    /// Completes an open task with its outcome (`reached`, `promised`, `disputed`, `no_answer`,
    /// `done`). A promise (with its date) holds the debtor's dunned items until then; a dispute
    /// holds them until a person resolves it.
    ///
    /// # Errors
    /// [`AppError::NotFound`] for an unknown or closed task, [`AppError::Invalid`] for an unknown
    /// outcome or a promise without a date.
    pub async fn complete_task(
        &self,
        org_slug: Option<&str>,
        id: i64,
        outcome: &str,
        promised_on: Option<Date>,
        note: Option<&str>,
        actor: &Actor,
    ) -> Result<(), AppError> {
        if !TASK_OUTCOMES.contains(&outcome) {
            return Err(AppError::invalid(
                "outcome",
                format!("use one of {}", TASK_OUTCOMES.join(", ")),
            ));
        }
        if outcome == "promised" && promised_on.is_none() {
            return Err(AppError::invalid(
                "promised_on",
                "a promise needs the date it was promised for",
            ));
        }
        let now = self.now();
        let mut tx = self.store.begin_write().await?;
        let org = crate::orgs::resolve_in(&mut tx, org_slug).await?;
        let task = tx
            .list_tasks(org.id, true, None, None, arflow_store::Page::after(id - 1, 1))
            .await?
            .into_iter()
            .find(|t| t.id == id)
            .ok_or_else(|| AppError::NotFound { entity: "task", key: id.to_string() })?;
        if !tx.complete_task(org.id, id, outcome, note, now).await? {
            return Err(AppError::NotFound { entity: "task", key: id.to_string() });
        }
        // An approval releases the action's held e-mails to the outbox; a refusal keeps them
        // held and marks the action rejected.
        if task.kind == "approval"
            && let Some(action_id) = task.action_id
        {
            let approved = matches!(outcome, "approved" | "done");
            let (from, to) = if approved {
                (ActionStatus::AwaitingApproval, ActionStatus::Planned)
            } else {
                (ActionStatus::AwaitingApproval, ActionStatus::Rejected)
            };
            tx.set_action_status(org.id, action_id, from, to, now).await?;
            if approved {
                let held = tx
                    .list_messages(
                        org.id,
                        Some(MessageStatus::Held),
                        Some(task.debtor_id),
                        arflow_store::Page::first(1000),
                    )
                    .await?;
                for m in held
                    .iter()
                    .filter(|m| m.message.action_id == action_id && m.message.channel == "email")
                {
                    tx.set_message_status(
                        org.id,
                        m.id,
                        MessageStatus::Held,
                        MessageStatus::Planned,
                        None,
                        now,
                    )
                    .await?;
                }
            }
        }
        // The outcome changes what the next run does for the items of the task's action.
        if let (Some(action_id), true) =
            (task.action_id, matches!(outcome, "promised" | "disputed"))
            && let Some(action) = tx.find_action(org.id, action_id).await?
        {
            let refs: Vec<&str> = action.invoices.iter().map(String::as_str).collect();
            // A promise holds up to its date plus the organisation's grace days, however it was
            // made (here by a person, on the portal by the debtor), so that a payment made on
            // the promised date has time to arrive.
            let grace = crate::portal::settings_in(&mut tx, org.id).await?.promise.grace_days;
            let held_until = promised_on
                .map(|d| arflow_core::date::add_days(d, i32::try_from(grace).unwrap_or(i32::MAX)));
            // Only what the outcome says changes: a pause, a payment plan or a policy chosen
            // for the invoice stay as they were.
            for inv in tx.find_invoices_by_numbers(org.id, &refs).await?.values() {
                let promised = if outcome == "promised" { held_until } else { None };
                tx.mark_item_outcome(org.id, inv.id, outcome == "disputed", promised, now).await?;
            }
        }
        tx.insert_audit(org.id, &[AuditEntry {
            at: now,
            actor: actor.0.clone(),
            action: "task.done".into(),
            entity: "task".into(),
            entity_key: id.to_string(),
            details: serde_json::json!({ "outcome": outcome, "promised_on": promised_on, "note": note }),
        }])
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
