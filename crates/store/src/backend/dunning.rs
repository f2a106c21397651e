// The dunning engine's SQL, written once for both backends (see common.rs, which this file
// follows in the same module).

fn flag(b: bool) -> i64 {
    i64::from(b)
}

fn json_list(values: &[String]) -> String {
    serde_json::to_string(values).unwrap_or_else(|_| "[]".into())
}

fn parse_list(
    table: &'static str,
    column: &'static str,
    raw: &str,
) -> Result<Vec<String>, StoreError> {
    serde_json::from_str(raw).map_err(|_| corrupt(table, column, raw))
}

const ACTION_SELECT: &str = "SELECT a.id, a.idempotency_key, a.run_date, a.debtor_id, \
     d.number AS debtor_number, a.policy_id, a.policy_version, a.step_key, a.step_index, \
     a.template, a.channels, a.invoices, a.open_minor, a.currency, a.status, a.created_at \
     FROM dunning_actions a JOIN debtors d ON d.organisation_id = a.organisation_id \
     AND d.id = a.debtor_id WHERE a.organisation_id = ";

fn decode_action(row: &DbRow) -> Result<StoredAction, StoreError> {
    const T: &str = "dunning_actions";
    let status: String = row.try_get("status")?;
    let channels: String = row.try_get("channels")?;
    let invoices: String = row.try_get("invoices")?;
    Ok(StoredAction {
        id: row.try_get("id")?,
        idempotency_key: row.try_get("idempotency_key")?,
        run_date: date(row, T, "run_date")?,
        debtor_id: DebtorId(row.try_get("debtor_id")?),
        debtor_number: row.try_get("debtor_number")?,
        policy_id: row.try_get("policy_id")?,
        policy_version: u32::try_from(row.try_get::<i64, _>("policy_version")?).unwrap_or(0),
        step_key: row.try_get("step_key")?,
        step_index: usize::try_from(row.try_get::<i64, _>("step_index")?).unwrap_or(0),
        template: row.try_get("template")?,
        channels: parse_list(T, "channels", &channels)?,
        invoices: parse_list(T, "invoices", &invoices)?,
        open: Money::from_minor(row.try_get("open_minor")?, currency(row, T, "currency")?),
        status: ActionStatus::parse(&status).ok_or_else(|| corrupt(T, "status", &status))?,
        created_at: row.try_get("created_at")?,
    })
}

const MESSAGE_SELECT: &str = "SELECT m.id, m.action_id, m.debtor_id, d.number AS debtor_number, \
     m.channel, m.recipient, m.subject, m.text_body, m.html_body, m.language, m.message_id, \
     m.status, m.attempts, m.last_error, m.created_at, m.sent_at \
     FROM messages m JOIN debtors d ON d.organisation_id = m.organisation_id \
     AND d.id = m.debtor_id WHERE m.organisation_id = ";

fn decode_message(row: &DbRow) -> Result<StoredMessage, StoreError> {
    const T: &str = "messages";
    let status: String = row.try_get("status")?;
    Ok(StoredMessage {
        id: row.try_get("id")?,
        message: NewMessage {
            action_id: row.try_get("action_id")?,
            debtor_id: DebtorId(row.try_get("debtor_id")?),
            channel: row.try_get("channel")?,
            recipient: row.try_get("recipient")?,
            subject: row.try_get("subject")?,
            text_body: row.try_get("text_body")?,
            html_body: row.try_get("html_body")?,
            language: row.try_get("language")?,
            message_id: row.try_get("message_id")?,
            attachments: Vec::new(),
        },
        debtor_number: row.try_get("debtor_number")?,
        status: MessageStatus::parse(&status).ok_or_else(|| corrupt(T, "status", &status))?,
        attempts: u32::try_from(row.try_get::<i64, _>("attempts")?).unwrap_or(0),
        last_error: opt_text(row, "last_error")?,
        created_at: row.try_get("created_at")?,
        sent_at: row.try_get("sent_at")?,
    })
}

const TASK_SELECT: &str = "SELECT t.id, t.debtor_id, d.number AS debtor_number, t.action_id, \
     t.kind, t.title, t.owner, t.status, t.due_on, t.outcome, t.outcome_note, t.created_at, \
     t.done_at FROM tasks t JOIN debtors d ON d.organisation_id = t.organisation_id \
     AND d.id = t.debtor_id WHERE t.organisation_id = ";

fn decode_task(row: &DbRow) -> Result<StoredTask, StoreError> {
    Ok(StoredTask {
        id: row.try_get("id")?,
        debtor_id: DebtorId(row.try_get("debtor_id")?),
        debtor_number: row.try_get("debtor_number")?,
        action_id: row.try_get("action_id")?,
        kind: row.try_get("kind")?,
        title: row.try_get("title")?,
        owner: opt_text(row, "owner")?,
        status: row.try_get("status")?,
        due_on: date(row, "tasks", "due_on")?,
        outcome: opt_text(row, "outcome")?,
        outcome_note: opt_text(row, "outcome_note")?,
        created_at: row.try_get("created_at")?,
        done_at: row.try_get("done_at")?,
    })
}

/// A `dunning_items` row as [`Tx::dunning_candidates`] reads it (no row: all default).
#[derive(Debug, Default)]
struct ItemStateRow {
    last_step: Option<usize>,
    last_step_on: Option<Date>,
    policy_override: Option<String>,
    disputed: bool,
    promised_until: Option<Date>,
    in_payment_plan: bool,
    paused_until: Option<Date>,
}

impl Tx {
    // ---------------------------------------------------------------- candidates

    /// Every debtor with open invoices in `cur`, with each item's dunning state.
    ///
    /// # Errors
    /// [`StoreError::Database`] or [`StoreError::Corrupt`].
    pub async fn dunning_candidates(
        &mut self,
        org: OrganisationId,
        cur: Currency,
    ) -> Result<Vec<DunningDebtorRow>, StoreError> {
        // The dunning state of the open items that have one, read on its own: a LEFT JOIN on
        // every open item added half the scan's time even with no state stored (issue 3's
        // bench). CROSS JOIN keeps SQLite from driving this from the open items.
        let states = sqlx::query(
            "SELECT s.invoice_id, s.last_step, s.last_step_on, s.policy_override, s.disputed, \
             s.promised_until, s.in_payment_plan, s.paused_until \
             FROM dunning_items s CROSS JOIN invoices i WHERE s.organisation_id = $1 \
             AND i.organisation_id = s.organisation_id AND i.id = s.invoice_id \
             AND i.settled_on = '9999-12-31' AND i.kind = 'invoice' AND i.currency = $2",
        )
        .bind(org.0)
        .bind(cur.code())
        .fetch_all(self.conn())
        .await?;
        const S: &str = "dunning_items";
        let mut state: HashMap<i64, ItemStateRow> = HashMap::with_capacity(states.len());
        for r in &states {
            state.insert(
                r.try_get("invoice_id")?,
                ItemStateRow {
                    last_step: r
                        .try_get::<Option<i64>, _>("last_step")?
                        .and_then(|s| usize::try_from(s).ok()),
                    last_step_on: opt_date(r, S, "last_step_on")?,
                    policy_override: opt_text(r, "policy_override")?,
                    disputed: r.try_get::<i64, _>("disputed")? != 0,
                    promised_until: opt_date(r, S, "promised_until")?,
                    in_payment_plan: r.try_get::<i64, _>("in_payment_plan")? != 0,
                    paused_until: opt_date(r, S, "paused_until")?,
                },
            );
        }
        drop(states);
        let rows = sqlx::query(
            "SELECT i.id, i.number, i.debtor_id, i.issue_date, i.due_date, i.amount_minor, \
             i.open_minor FROM invoices i WHERE i.organisation_id = $1 \
             AND i.settled_on = '9999-12-31' AND i.kind = 'invoice' AND i.currency = $2 \
             ORDER BY i.debtor_id, i.due_date, i.id",
        )
        .bind(org.0)
        .bind(cur.code())
        .fetch_all(self.conn())
        .await?;
        const T: &str = "invoices";
        let mut by_debtor: Vec<(i64, Vec<DunningItemRow>)> = Vec::new();
        for r in &rows {
            let debtor: i64 = r.try_get("debtor_id")?;
            let id: i64 = r.try_get("id")?;
            let s = state.remove(&id).unwrap_or_default();
            let item = DunningItemRow {
                invoice_id: InvoiceId(id),
                number: r.try_get("number")?,
                issue_date: date(r, T, "issue_date")?,
                due_date: date(r, T, "due_date")?,
                amount: Money::from_minor(r.try_get("amount_minor")?, cur),
                open: Money::from_minor(r.try_get("open_minor")?, cur),
                last_step: s.last_step,
                last_step_on: s.last_step_on,
                policy_override: s.policy_override,
                disputed: s.disputed,
                promised_until: s.promised_until,
                in_payment_plan: s.in_payment_plan,
                paused_until: s.paused_until,
                fourteen_day_letter_sent: None,
                first_reminder_sent: None,
            };
            match by_debtor.last_mut() {
                Some((d, items)) if *d == debtor => items.push(item),
                _ => by_debtor.push((debtor, vec![item])),
            }
        }
        drop(rows);
        // When the notices the law counts from went out, per invoice number (the first one).
        let notices = sqlx::query(
            "SELECT template, run_date, invoices FROM dunning_actions WHERE organisation_id = $1 \
             AND template IN ('notice_of_default', 'be_consumer_first_reminder') \
             AND status <> 'rejected' ORDER BY run_date",
        )
        .bind(org.0)
        .fetch_all(self.conn())
        .await?;
        let mut letters: HashMap<String, Date> = HashMap::new();
        let mut firsts: HashMap<String, Date> = HashMap::new();
        for r in &notices {
            let template: String = r.try_get("template")?;
            let on = date(r, "dunning_actions", "run_date")?;
            let raw: String = r.try_get("invoices")?;
            let target = if template == "notice_of_default" { &mut letters } else { &mut firsts };
            for number in parse_list("dunning_actions", "invoices", &raw)? {
                target.entry(number).or_insert(on);
            }
        }
        for (_, items) in &mut by_debtor {
            for item in items {
                item.fourteen_day_letter_sent = letters.get(&item.number).copied();
                item.first_reminder_sent = firsts.get(&item.number).copied();
            }
        }
        // The debtors: only what the planner needs (no contacts or IBANs), with the last contact
        // and the segments in the same query — one row per segment, in order.
        const D: &str = "debtors";
        let ids: Vec<i64> = by_debtor.iter().map(|(d, _)| *d).collect();
        let mut debtors: HashMap<i64, DunningDebtorRow> = HashMap::with_capacity(ids.len());
        for chunk in ids.chunks(BATCH_ROWS_MAX) {
            // The ids are ascending. The redundant range on the joined tables keeps PostgreSQL
            // from hashing all of the organisation's segments for every chunk (16 ms → 2 ms).
            let (first, last) = (chunk.first().copied(), chunk.last().copied());
            let mut qb = QueryBuilder::<DB>::new(
                "SELECT d.id, d.number, d.name, d.kind, d.country, d.language, d.owner, \
                 d.pause_reason, d.pause_until, c.last_contact_on, g.segment FROM debtors d \
                 LEFT JOIN dunning_debtors c ON c.organisation_id = d.organisation_id \
                 AND c.debtor_id = d.id AND c.debtor_id BETWEEN ",
            );
            qb.push_bind(first).push(" AND ").push_bind(last);
            qb.push(
                " LEFT JOIN debtor_segments g ON g.organisation_id = d.organisation_id \
                 AND g.debtor_id = d.id AND g.debtor_id BETWEEN ",
            );
            qb.push_bind(first).push(" AND ").push_bind(last);
            qb.push(" WHERE d.organisation_id = ");
            qb.push_bind(org.0);
            push_in(&mut qb, "d.id", chunk.iter().copied());
            qb.push(" ORDER BY d.id, g.position");
            for r in qb.build().fetch_all(self.conn()).await? {
                let id: i64 = r.try_get("id")?;
                let segment = opt_text(&r, "segment")?;
                if let Some(d) = debtors.get_mut(&id) {
                    d.segments.extend(segment);
                    continue;
                }
                let pause_reason = opt_text(&r, "pause_reason")?;
                let pause_until = match pause_reason {
                    Some(_) => opt_date(&r, D, "pause_until")?,
                    None => None,
                };
                let row = DunningDebtorRow {
                    debtor_id: DebtorId(id),
                    number: r.try_get("number")?,
                    name: r.try_get("name")?,
                    kind: text(&r, D, "kind")?,
                    country: country(&r, D, "country")?,
                    language: text(&r, D, "language")?,
                    owner: opt_text(&r, "owner")?,
                    segments: segment.into_iter().collect(),
                    pause_reason,
                    pause_until,
                    last_contact_on: opt_date(&r, "dunning_debtors", "last_contact_on")?,
                    items: Vec::new(),
                };
                debtors.insert(id, row);
            }
        }
        let mut out = Vec::with_capacity(by_debtor.len());
        for (id, items) in by_debtor {
            let Some(mut d) = debtors.remove(&id) else { continue };
            d.items = items;
            out.push(d);
        }
        Ok(out)
    }

    // ---------------------------------------------------------------- policies, settings

    /// Stores a new version of a policy and returns its version number.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn put_policy(
        &mut self,
        org: OrganisationId,
        policy_id: &str,
        definition: &str,
        created_by: &str,
        at: i64,
    ) -> Result<u32, StoreError> {
        let version: i64 = sqlx::query_scalar(
            "SELECT CAST(COALESCE(MAX(version), 0) + 1 AS BIGINT) FROM dunning_policies \
             WHERE organisation_id = $1 AND policy_id = $2",
        )
        .bind(org.0)
        .bind(policy_id)
        .fetch_one(self.conn())
        .await?;
        sqlx::query(
            "INSERT INTO dunning_policies (organisation_id, policy_id, version, definition, \
             created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(org.0)
        .bind(policy_id)
        .bind(version)
        .bind(definition)
        .bind(at)
        .bind(created_by)
        .execute(self.conn())
        .await
        .map_err(|e| StoreError::from_unique(e, "policy_version", policy_id))?;
        Ok(u32::try_from(version).unwrap_or(u32::MAX))
    }

    /// Stores exactly `version` of a policy. The caller numbers the version (an edit of a
    /// shipped default comes after the default's own version); the key makes two edits of the
    /// same version impossible: the second is refused, never stored over the first.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] (`policy_version`) when that version exists already, else
    /// [`StoreError::Database`].
    pub async fn insert_policy_version(
        &mut self,
        org: OrganisationId,
        policy_id: &str,
        version: u32,
        definition: &str,
        created_by: &str,
        at: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO dunning_policies (organisation_id, policy_id, version, definition, \
             created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(org.0)
        .bind(policy_id)
        .bind(i64::from(version))
        .bind(definition)
        .bind(at)
        .bind(created_by)
        .execute(self.conn())
        .await
        .map_err(|e| {
            StoreError::from_unique(e, "policy_version", &format!("{policy_id} v{version}"))
        })?;
        Ok(())
    }

    /// The latest version of every policy: id, version, definition (JSON).
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn latest_policies(
        &mut self,
        org: OrganisationId,
    ) -> Result<Vec<(String, u32, String)>, StoreError> {
        let rows = sqlx::query(
            "SELECT p.policy_id, p.version, p.definition FROM dunning_policies p \
             WHERE p.organisation_id = $1 AND p.version = (SELECT MAX(q.version) \
             FROM dunning_policies q WHERE q.organisation_id = p.organisation_id \
             AND q.policy_id = p.policy_id) ORDER BY p.policy_id",
        )
        .bind(org.0)
        .fetch_all(self.conn())
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("policy_id")?,
                    u32::try_from(r.try_get::<i64, _>("version")?).unwrap_or(0),
                    r.try_get("definition")?,
                ))
            })
            .collect()
    }

    /// The organisation's dunning settings: assignments (JSON) and the hour of the daily run.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn find_dunning_settings(
        &mut self,
        org: OrganisationId,
    ) -> Result<Option<(String, u32)>, StoreError> {
        let row = sqlx::query(
            "SELECT assignments, run_hour FROM dunning_settings WHERE organisation_id = $1",
        )
        .bind(org.0)
        .fetch_optional(self.conn())
        .await?;
        row.map(|r| -> Result<_, StoreError> {
            Ok((
                r.try_get("assignments")?,
                u32::try_from(r.try_get::<i64, _>("run_hour")?).unwrap_or(0),
            ))
        })
        .transpose()
    }

    /// # Errors
    /// [`StoreError::Database`].
    pub async fn put_dunning_settings(
        &mut self,
        org: OrganisationId,
        assignments: &str,
        run_hour: u32,
        at: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO dunning_settings (organisation_id, assignments, run_hour, updated_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (organisation_id) DO UPDATE SET \
             assignments = excluded.assignments, run_hour = excluded.run_hour, \
             updated_at = excluded.updated_at",
        )
        .bind(org.0)
        .bind(assignments)
        .bind(i64::from(run_hour))
        .bind(at)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    // ---------------------------------------------------------------- actions and state

    /// Stores an action unless one with its key exists; returns whether it was stored.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn insert_action(
        &mut self,
        org: OrganisationId,
        id: i64,
        a: &NewAction,
        at: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "INSERT INTO dunning_actions (organisation_id, id, idempotency_key, run_date, \
             debtor_id, policy_id, policy_version, step_key, step_index, template, channels, \
             invoices, open_minor, currency, status, created_at, updated_at) VALUES ($1, $2, $3, \
             $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16) \
             ON CONFLICT (organisation_id, idempotency_key) DO NOTHING",
        )
        .bind(org.0)
        .bind(id)
        .bind(&a.idempotency_key)
        .bind(a.run_date.to_string())
        .bind(a.debtor_id.0)
        .bind(&a.policy_id)
        .bind(i64::from(a.policy_version))
        .bind(&a.step_key)
        .bind(i64::try_from(a.step_index).unwrap_or(i64::MAX))
        .bind(&a.template)
        .bind(json_list(&a.channels))
        .bind(json_list(&a.invoices))
        .bind(a.open.minor())
        .bind(a.open.currency().code())
        .bind(a.status.as_str())
        .bind(at)
        .execute(self.conn())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// # Errors
    /// [`StoreError::Database`] or [`StoreError::Corrupt`].
    pub async fn find_action(
        &mut self,
        org: OrganisationId,
        id: i64,
    ) -> Result<Option<StoredAction>, StoreError> {
        let mut qb = QueryBuilder::<DB>::new(ACTION_SELECT);
        qb.push_bind(org.0).push(" AND a.id = ").push_bind(id);
        let row = qb.build().fetch_optional(self.conn()).await?;
        row.as_ref().map(decode_action).transpose()
    }

    /// Actions, newest first, optionally of one status or debtor.
    ///
    /// # Errors
    /// [`StoreError::Database`] or [`StoreError::Corrupt`].
    pub async fn list_actions(
        &mut self,
        org: OrganisationId,
        status: Option<ActionStatus>,
        debtor: Option<DebtorId>,
        page: Page,
    ) -> Result<Vec<StoredAction>, StoreError> {
        let mut qb = QueryBuilder::<DB>::new(ACTION_SELECT);
        qb.push_bind(org.0);
        if let Some(s) = status {
            qb.push(" AND a.status = ").push_bind(s.as_str());
        }
        if let Some(d) = debtor {
            qb.push(" AND a.debtor_id = ").push_bind(d.0);
        }
        if let Some(after) = page.after {
            qb.push(" AND a.id < ").push_bind(after);
        }
        qb.push(" ORDER BY a.id DESC LIMIT ").push_bind(i64::from(page.limit));
        let rows = qb.build().fetch_all(self.conn()).await?;
        rows.iter().map(decode_action).collect()
    }

    /// Every action of any of `debtors` (only those with one of `templates` when given), newest
    /// first: the batched form of [`list_actions`](Self::list_actions) for code that needs the
    /// letters of many debtors.
    ///
    /// # Errors
    /// [`StoreError::Database`] or [`StoreError::Corrupt`].
    pub async fn list_actions_of_debtors(
        &mut self,
        org: OrganisationId,
        debtors: &[DebtorId],
        templates: Option<&[&str]>,
    ) -> Result<Vec<StoredAction>, StoreError> {
        let mut out = Vec::new();
        for chunk in debtors.chunks(BATCH_ROWS_MAX) {
            let mut qb = QueryBuilder::<DB>::new(ACTION_SELECT);
            qb.push_bind(org.0);
            push_in(&mut qb, "a.debtor_id", chunk.iter().map(|d| d.0));
            if let Some(t) = templates {
                if t.is_empty() {
                    return Ok(Vec::new());
                }
                push_in(&mut qb, "a.template", t.iter().map(|s| (*s).to_owned()));
            }
            // No ORDER BY: SQLite would walk the primary key in order instead of the debtor
            // index to spare the sort; sorted below.
            for r in qb.build().fetch_all(self.conn()).await? {
                out.push(decode_action(&r)?);
            }
        }
        out.sort_by_key(|a| std::cmp::Reverse(a.id));
        Ok(out)
    }

    /// Moves an action from one status to another; false when it was not in `from`.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn set_action_status(
        &mut self,
        org: OrganisationId,
        id: i64,
        from: ActionStatus,
        to: ActionStatus,
        at: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE dunning_actions SET status = $4, updated_at = $5 \
             WHERE organisation_id = $1 AND id = $2 AND status = $3",
        )
        .bind(org.0)
        .bind(id)
        .bind(from.as_str())
        .bind(to.as_str())
        .bind(at)
        .execute(self.conn())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Records that items reached a step on a date.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn advance_items(
        &mut self,
        org: OrganisationId,
        items: &[InvoiceId],
        step_index: usize,
        step_key: &str,
        on: Date,
        policy: (&str, u32),
        at: i64,
    ) -> Result<(), StoreError> {
        for id in items {
            sqlx::query(
                "INSERT INTO dunning_items (organisation_id, invoice_id, last_step, last_step_key, \
                 last_step_on, policy_id, policy_version, disputed, in_payment_plan, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, 0, 0, $8) \
                 ON CONFLICT (organisation_id, invoice_id) DO UPDATE SET \
                 last_step = excluded.last_step, last_step_key = excluded.last_step_key, \
                 last_step_on = excluded.last_step_on, policy_id = excluded.policy_id, \
                 policy_version = excluded.policy_version, updated_at = excluded.updated_at",
            )
            .bind(org.0)
            .bind(id.0)
            .bind(i64::try_from(step_index).unwrap_or(i64::MAX))
            .bind(step_key)
            .bind(on.to_string())
            .bind(policy.0)
            .bind(i64::from(policy.1))
            .bind(at)
            .execute(self.conn())
            .await?;
        }
        Ok(())
    }

    /// Sets what holds an item from dunning (dispute, promise, plan, pause, own policy).
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn set_item_hold(
        &mut self,
        org: OrganisationId,
        invoice: InvoiceId,
        hold: &ItemHold,
        at: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO dunning_items (organisation_id, invoice_id, disputed, promised_until, \
             in_payment_plan, paused_until, policy_override, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (organisation_id, invoice_id) DO UPDATE SET \
             disputed = excluded.disputed, promised_until = excluded.promised_until, \
             in_payment_plan = excluded.in_payment_plan, paused_until = excluded.paused_until, \
             policy_override = excluded.policy_override, updated_at = excluded.updated_at",
        )
        .bind(org.0)
        .bind(invoice.0)
        .bind(flag(hold.disputed))
        .bind(hold.promised_until.map(|d| d.to_string()))
        .bind(flag(hold.in_payment_plan))
        .bind(hold.paused_until.map(|d| d.to_string()))
        .bind(hold.policy_override.clone())
        .bind(at)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// Sets (or with `None` lifts) the policy that applies to one invoice instead of its
    /// debtor's, keeping everything else that holds the item.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn set_item_policy_override(
        &mut self,
        org: OrganisationId,
        invoice: InvoiceId,
        policy: Option<&str>,
        at: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO dunning_items (organisation_id, invoice_id, disputed, in_payment_plan, \
             policy_override, updated_at) VALUES ($1, $2, 0, 0, $3, $4) \
             ON CONFLICT (organisation_id, invoice_id) DO UPDATE SET \
             policy_override = excluded.policy_override, updated_at = excluded.updated_at",
        )
        .bind(org.0)
        .bind(invoice.0)
        .bind(policy)
        .bind(at)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// The policy override of one invoice, if any.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn item_policy_override(
        &mut self,
        org: OrganisationId,
        invoice: InvoiceId,
    ) -> Result<Option<String>, StoreError> {
        let row: Option<(Option<String>,)> = sqlx::query_as(
            "SELECT policy_override FROM dunning_items WHERE organisation_id = $1 \
             AND invoice_id = $2",
        )
        .bind(org.0)
        .bind(invoice.0)
        .fetch_optional(self.conn())
        .await?;
        Ok(row.and_then(|(p,)| p))
    }

    /// Marks an invoice disputed and/or promised until a date, keeping everything else that
    /// holds it (pause, payment plan, policy override, an earlier dispute).
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn mark_item_outcome(
        &mut self,
        org: OrganisationId,
        invoice: InvoiceId,
        disputed: bool,
        promised_until: Option<Date>,
        at: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO dunning_items (organisation_id, invoice_id, disputed, promised_until, \
             in_payment_plan, updated_at) VALUES ($1, $2, $3, $4, 0, $5) \
             ON CONFLICT (organisation_id, invoice_id) DO UPDATE SET \
             disputed = CASE WHEN excluded.disputed = 1 THEN 1 ELSE dunning_items.disputed END, \
             promised_until = COALESCE(excluded.promised_until, dunning_items.promised_until), \
             updated_at = excluded.updated_at",
        )
        .bind(org.0)
        .bind(invoice.0)
        .bind(flag(disputed))
        .bind(promised_until.map(|d| d.to_string()))
        .bind(at)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// Records the last contact with a debtor.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn set_last_contact(
        &mut self,
        org: OrganisationId,
        debtor: DebtorId,
        on: Date,
        at: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO dunning_debtors (organisation_id, debtor_id, last_contact_on, updated_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (organisation_id, debtor_id) DO UPDATE SET \
             last_contact_on = excluded.last_contact_on, updated_at = excluded.updated_at",
        )
        .bind(org.0)
        .bind(debtor.0)
        .bind(on.to_string())
        .bind(at)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    // ---------------------------------------------------------------- messages

    /// Puts a rendered message in the outbox.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] when a message with its message id exists.
    pub async fn insert_message(
        &mut self,
        org: OrganisationId,
        id: i64,
        m: &NewMessage,
        status: MessageStatus,
        at: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO messages (organisation_id, id, action_id, debtor_id, channel, recipient, \
             subject, text_body, html_body, language, message_id, status, attempts, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 0, $13)",
        )
        .bind(org.0)
        .bind(id)
        .bind(m.action_id)
        .bind(m.debtor_id.0)
        .bind(&m.channel)
        .bind(&m.recipient)
        .bind(&m.subject)
        .bind(&m.text_body)
        .bind(&m.html_body)
        .bind(&m.language)
        .bind(&m.message_id)
        .bind(status.as_str())
        .bind(at)
        .execute(self.conn())
        .await
        .map_err(|e| StoreError::from_unique(e, "message", &m.message_id))?;
        for (pos, a) in (0_i64..).zip(&m.attachments) {
            sqlx::query(
                "INSERT INTO message_attachments (organisation_id, message_id, position, \
                 file_name, content_type, content) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(org.0)
            .bind(id)
            .bind(pos)
            .bind(&a.file_name)
            .bind(&a.content_type)
            .bind(&a.content)
            .execute(self.conn())
            .await?;
        }
        Ok(())
    }

    /// The id of the message whose `Message-ID` is `message_id`, if there is one.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn message_with_message_id(
        &mut self,
        org: OrganisationId,
        message_id: &str,
    ) -> Result<Option<i64>, StoreError> {
        let id = sqlx::query_scalar(
            "SELECT id FROM messages WHERE organisation_id = $1 AND message_id = $2",
        )
        .bind(org.0)
        .bind(message_id)
        .fetch_optional(self.conn())
        .await?;
        Ok(id)
    }

    /// Messages, newest first, optionally of one status or debtor (without attachment bytes;
    /// see [`message_attachments`](Self::message_attachments)).
    ///
    /// # Errors
    /// [`StoreError::Database`] or [`StoreError::Corrupt`].
    pub async fn list_messages(
        &mut self,
        org: OrganisationId,
        status: Option<MessageStatus>,
        debtor: Option<DebtorId>,
        page: Page,
    ) -> Result<Vec<StoredMessage>, StoreError> {
        let mut qb = QueryBuilder::<DB>::new(MESSAGE_SELECT);
        qb.push_bind(org.0);
        if let Some(s) = status {
            qb.push(" AND m.status = ").push_bind(s.as_str());
        }
        if let Some(d) = debtor {
            qb.push(" AND m.debtor_id = ").push_bind(d.0);
        }
        if let Some(after) = page.after {
            qb.push(" AND m.id < ").push_bind(after);
        }
        qb.push(" ORDER BY m.id DESC LIMIT ").push_bind(i64::from(page.limit));
        let rows = qb.build().fetch_all(self.conn()).await?;
        rows.iter().map(decode_message).collect()
    }

    /// The attachments of a message, in order.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn message_attachments(
        &mut self,
        org: OrganisationId,
        message: i64,
    ) -> Result<Vec<Attachment>, StoreError> {
        let rows = sqlx::query(
            "SELECT file_name, content_type, content FROM message_attachments \
             WHERE organisation_id = $1 AND message_id = $2 ORDER BY position",
        )
        .bind(org.0)
        .bind(message)
        .fetch_all(self.conn())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Attachment {
                    file_name: r.try_get("file_name")?,
                    content_type: r.try_get("content_type")?,
                    content: r.try_get("content")?,
                })
            })
            .collect()
    }

    /// Moves a message from one status to another (counting an attempt when it starts
    /// sending); false when it was not in `from` — someone else got there first.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn set_message_status(
        &mut self,
        org: OrganisationId,
        id: i64,
        from: MessageStatus,
        to: MessageStatus,
        error: Option<&str>,
        at: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE messages SET status = $4, last_error = COALESCE($5, last_error), \
             attempts = attempts + CASE WHEN $4 = 'sending' THEN 1 ELSE 0 END, \
             sent_at = CASE WHEN $4 = 'sent' THEN $6 ELSE sent_at END \
             WHERE organisation_id = $1 AND id = $2 AND status = $3",
        )
        .bind(org.0)
        .bind(id)
        .bind(from.as_str())
        .bind(to.as_str())
        .bind(error)
        .bind(at)
        .execute(self.conn())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// After a crash: every message left `sending` becomes `uncertain` (never resent, never
    /// dropped). Returns how many.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn mark_sending_uncertain(&mut self, org: OrganisationId) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "UPDATE messages SET status = 'uncertain', \
             last_error = 'interrupted while sending: check whether it arrived' \
             WHERE organisation_id = $1 AND status = 'sending'",
        )
        .bind(org.0)
        .execute(self.conn())
        .await?;
        Ok(done.rows_affected())
    }

    // ---------------------------------------------------------------- tasks, charges

    /// # Errors
    /// [`StoreError::Database`].
    pub async fn insert_task(
        &mut self,
        org: OrganisationId,
        id: i64,
        t: &NewTask,
        at: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO tasks (organisation_id, id, debtor_id, action_id, kind, title, owner, \
             status, due_on, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'open', $8, $9)",
        )
        .bind(org.0)
        .bind(id)
        .bind(t.debtor_id.0)
        .bind(t.action_id)
        .bind(&t.kind)
        .bind(&t.title)
        .bind(&t.owner)
        .bind(t.due_on.to_string())
        .bind(at)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// Tasks by due date, optionally only open ones, of one owner or debtor.
    ///
    /// # Errors
    /// [`StoreError::Database`] or [`StoreError::Corrupt`].
    pub async fn list_tasks(
        &mut self,
        org: OrganisationId,
        open_only: bool,
        owner: Option<&str>,
        debtor: Option<DebtorId>,
        page: Page,
    ) -> Result<Vec<StoredTask>, StoreError> {
        let mut qb = QueryBuilder::<DB>::new(TASK_SELECT);
        qb.push_bind(org.0);
        if open_only {
            qb.push(" AND t.status = 'open'");
        }
        if let Some(o) = owner {
            qb.push(" AND t.owner = ").push_bind(o.to_owned());
        }
        if let Some(d) = debtor {
            qb.push(" AND t.debtor_id = ").push_bind(d.0);
        }
        if let Some(after) = page.after {
            qb.push(" AND t.id > ").push_bind(after);
        }
        qb.push(" ORDER BY t.id LIMIT ").push_bind(i64::from(page.limit));
        let rows = qb.build().fetch_all(self.conn()).await?;
        rows.iter().map(decode_task).collect()
    }

    /// Closes an open task with its outcome; false when it was not open.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn complete_task(
        &mut self,
        org: OrganisationId,
        id: i64,
        outcome: &str,
        note: Option<&str>,
        at: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE tasks SET status = 'done', outcome = $3, outcome_note = $4, done_at = $5 \
             WHERE organisation_id = $1 AND id = $2 AND status = 'open'",
        )
        .bind(org.0)
        .bind(id)
        .bind(outcome)
        .bind(note)
        .bind(at)
        .execute(self.conn())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Adds charges to invoices.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn insert_charges(
        &mut self,
        org: OrganisationId,
        rows: &[StoredCharge],
        at: i64,
    ) -> Result<(), StoreError> {
        for c in rows {
            sqlx::query(
                "INSERT INTO charges (organisation_id, id, invoice_id, action_id, kind, \
                 amount_minor, currency, explanation, charged_on, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(org.0)
            .bind(c.id)
            .bind(c.invoice_id.0)
            .bind(c.action_id)
            .bind(&c.kind)
            .bind(c.amount.minor())
            .bind(c.amount.currency().code())
            .bind(c.explanation.to_string())
            .bind(c.charged_on.to_string())
            .bind(at)
            .execute(self.conn())
            .await?;
        }
        Ok(())
    }

    /// The charges of an invoice, oldest first.
    ///
    /// # Errors
    /// [`StoreError::Database`] or [`StoreError::Corrupt`].
    pub async fn list_charges(
        &mut self,
        org: OrganisationId,
        invoice: InvoiceId,
    ) -> Result<Vec<StoredCharge>, StoreError> {
        self.list_charges_of_items(org, &[invoice]).await
    }

    /// The charges of any of `items`, oldest first (by id).
    ///
    /// # Errors
    /// [`StoreError::Database`] or [`StoreError::Corrupt`].
    pub async fn list_charges_of_items(
        &mut self,
        org: OrganisationId,
        items: &[InvoiceId],
    ) -> Result<Vec<StoredCharge>, StoreError> {
        let mut out = Vec::new();
        for chunk in items.chunks(BATCH_ROWS_MAX) {
            let mut qb = QueryBuilder::<DB>::new(
                "SELECT id, invoice_id, action_id, kind, amount_minor, currency, explanation, \
                 charged_on FROM charges WHERE organisation_id = ",
            );
            qb.push_bind(org.0);
            push_in(&mut qb, "invoice_id", chunk.iter().map(|i| i.0));
            // No ORDER BY, as above: sorted below.
            for r in qb.build().fetch_all(self.conn()).await? {
                out.push(decode_charge(&r)?);
            }
        }
        out.sort_by_key(|c| c.id);
        Ok(out)
    }

    // ---------------------------------------------------------------- runs

    /// Records the start of the run of `run_date`: [`RunClaim::Started`] the first time,
    /// [`RunClaim::Resumed`] when an earlier run of that date was interrupted before it finished
    /// (its actions are keyed: resuming does nothing twice), [`RunClaim::AlreadyDone`] after it
    /// finished.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn start_run(
        &mut self,
        org: OrganisationId,
        run_date: Date,
        at: i64,
    ) -> Result<RunClaim, StoreError> {
        let done = sqlx::query(
            "INSERT INTO dunning_runs (organisation_id, run_date, status, started_at, summary) \
             VALUES ($1, $2, 'running', $3, '{}') ON CONFLICT (organisation_id, run_date) DO NOTHING",
        )
        .bind(org.0)
        .bind(run_date.to_string())
        .bind(at)
        .execute(self.conn())
        .await?;
        if done.rows_affected() == 1 {
            return Ok(RunClaim::Started);
        }
        let status: String = sqlx::query_scalar(
            "SELECT status FROM dunning_runs WHERE organisation_id = $1 AND run_date = $2",
        )
        .bind(org.0)
        .bind(run_date.to_string())
        .fetch_one(self.conn())
        .await?;
        Ok(if status == "done" { RunClaim::AlreadyDone } else { RunClaim::Resumed })
    }

    /// Records the end of a run and its summary (JSON).
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn finish_run(
        &mut self,
        org: OrganisationId,
        run_date: Date,
        summary: &str,
        at: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE dunning_runs SET status = 'done', finished_at = $3, summary = $4 \
             WHERE organisation_id = $1 AND run_date = $2",
        )
        .bind(org.0)
        .bind(run_date.to_string())
        .bind(at)
        .bind(summary)
        .execute(self.conn())
        .await?;
        Ok(())
    }
}

impl Tx {
    // ---------------------------------------------------------------- bench baseline

    /// The baseline of `arflow bench dunning`: one plain SELECT of the open items
    /// [`dunning_candidates`](Self::dunning_candidates) reads (every open invoice of `cur`, with
    /// the invoice columns it reads, in the same order), without their dunning state or debtors.
    /// Returns the number of items, of debtors, and the total open in minor units.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn scan_open_items_for_bench(
        &mut self,
        org: OrganisationId,
        cur: Currency,
    ) -> Result<(u64, u64, i64), StoreError> {
        let rows = sqlx::query(
            "SELECT i.id, i.number, i.debtor_id, i.issue_date, i.due_date, i.amount_minor, \
             i.open_minor FROM invoices i WHERE i.organisation_id = $1 AND i.settled_on = '9999-12-31' \
             AND i.kind = 'invoice' AND i.currency = $2 ORDER BY i.debtor_id, i.due_date, i.id",
        )
        .bind(org.0)
        .bind(cur.code())
        .fetch_all(self.conn())
        .await?;
        let (mut items, mut debtors, mut open) = (0_u64, 0_u64, 0_i64);
        let mut last: Option<i64> = None;
        for r in &rows {
            let debtor: i64 = r.try_get("debtor_id")?;
            let _: i64 = r.try_get("id")?;
            let _: &str = r.try_get("number")?;
            let _: &str = r.try_get("issue_date")?;
            let _: &str = r.try_get("due_date")?;
            let _: i64 = r.try_get("amount_minor")?;
            if last != Some(debtor) {
                debtors += 1;
                last = Some(debtor);
            }
            items += 1;
            open = open.saturating_add(r.try_get::<i64, _>("open_minor")?);
        }
        Ok((items, debtors, open))
    }
}

impl Tx {
    // ---------------------------------------------------------------- message templates

    /// Stores an organisation's own text of one template in one language (replacing an earlier
    /// edit).
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn put_message_template(
        &mut self,
        org: OrganisationId,
        t: &StoredTemplate,
        at: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO message_templates (organisation_id, template, language, subject, \
             text_body, html_body, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (organisation_id, template, language) DO UPDATE SET \
             subject = excluded.subject, text_body = excluded.text_body, \
             html_body = excluded.html_body, updated_at = excluded.updated_at, \
             updated_by = excluded.updated_by",
        )
        .bind(org.0)
        .bind(&t.template)
        .bind(&t.language)
        .bind(&t.subject)
        .bind(&t.text_body)
        .bind(t.html_body.as_deref().unwrap_or(""))
        .bind(at)
        .bind(&t.updated_by)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// Every edited template of an organisation, by template and language.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn list_message_templates(
        &mut self,
        org: OrganisationId,
    ) -> Result<Vec<StoredTemplate>, StoreError> {
        let rows = sqlx::query(
            "SELECT template, language, subject, text_body, html_body, updated_by \
             FROM message_templates WHERE organisation_id = $1 ORDER BY template, language",
        )
        .bind(org.0)
        .fetch_all(self.conn())
        .await?;
        rows.iter()
            .map(|r| {
                let html: String = r.try_get("html_body")?;
                Ok(StoredTemplate {
                    template: r.try_get("template")?,
                    language: r.try_get("language")?,
                    subject: r.try_get("subject")?,
                    text_body: r.try_get("text_body")?,
                    html_body: (!html.is_empty()).then_some(html),
                    updated_by: r.try_get("updated_by")?,
                })
            })
            .collect()
    }

    /// Removes an organisation's edit (the built-in text applies again); false when there was
    /// none.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn delete_message_template(
        &mut self,
        org: OrganisationId,
        template: &str,
        language: &str,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "DELETE FROM message_templates WHERE organisation_id = $1 AND template = $2 \
             AND language = $3",
        )
        .bind(org.0)
        .bind(template)
        .bind(language)
        .execute(self.conn())
        .await?;
        Ok(done.rows_affected() == 1)
    }
}

fn decode_charge(r: &DbRow) -> Result<StoredCharge, StoreError> {
    let explanation: String = r.try_get("explanation")?;
    Ok(StoredCharge {
        id: r.try_get("id")?,
        invoice_id: InvoiceId(r.try_get("invoice_id")?),
        action_id: r.try_get("action_id")?,
        kind: r.try_get("kind")?,
        amount: Money::from_minor(r.try_get("amount_minor")?, currency(r, "charges", "currency")?),
        explanation: serde_json::from_str(&explanation)
            .map_err(|_| corrupt("charges", "explanation", &explanation))?,
        charged_on: date(r, "charges", "charged_on")?,
    })
}

impl Tx {
    // ---------------------------------------------------------------- dashboard

    /// What was invoiced and paid per day in `cur`, on days up to and including `to`, oldest
    /// first (days without either are absent).
    ///
    /// # Errors
    /// [`StoreError::Database`] or [`StoreError::Corrupt`].
    pub async fn ledger_days(
        &mut self,
        org: OrganisationId,
        cur: Currency,
        to: Date,
    ) -> Result<Vec<LedgerDay>, StoreError> {
        let rows = sqlx::query(
            "SELECT day, sales_minor, payments_minor FROM ledger_days \
             WHERE organisation_id = $1 AND currency = $2 AND day <= $3 ORDER BY day",
        )
        .bind(org.0)
        .bind(cur.code())
        .bind(to.to_string())
        .fetch_all(self.conn())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(LedgerDay {
                    day: date(r, "ledger_days", "day")?,
                    sales_minor: r.try_get("sales_minor")?,
                    payments_minor: r.try_get("payments_minor")?,
                })
            })
            .collect()
    }

    /// The work waiting for people: open tasks, actions to approve, uncertain messages, and
    /// bank entries to review or match (their sum in `cur`). Each count reads one status index.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn work_counts(
        &mut self,
        org: OrganisationId,
        cur: Currency,
    ) -> Result<WorkCounts, StoreError> {
        let open_tasks: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM tasks WHERE organisation_id = $1 AND status = 'open'",
        )
        .bind(org.0)
        .fetch_one(self.conn())
        .await?;
        let awaiting: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM dunning_actions WHERE organisation_id = $1 AND status = $2",
        )
        .bind(org.0)
        .bind(ActionStatus::AwaitingApproval.as_str())
        .fetch_one(self.conn())
        .await?;
        let uncertain: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM messages WHERE organisation_id = $1 AND status = $2",
        )
        .bind(org.0)
        .bind(MessageStatus::Uncertain.as_str())
        .fetch_one(self.conn())
        .await?;
        let row = sqlx::query(
            "SELECT CAST(COUNT(*) AS BIGINT) AS n, CAST(COALESCE(SUM(CASE WHEN currency = $4 \
             THEN amount_minor ELSE 0 END), 0) AS BIGINT) AS amount FROM bank_entries \
             WHERE organisation_id = $1 AND status IN ($2, $3)",
        )
        .bind(org.0)
        .bind(BankEntryStatus::Review.as_str())
        .bind(BankEntryStatus::Unmatched.as_str())
        .bind(cur.code())
        .fetch_one(self.conn())
        .await?;
        Ok(WorkCounts {
            open_tasks: count(open_tasks),
            actions_awaiting_approval: count(awaiting),
            uncertain_messages: count(uncertain),
            entries_waiting: count(row.try_get("n")?),
            entries_waiting_minor: row.try_get("amount")?,
        })
    }

    /// The status of the run of `run_date` (`running` or `done`), if it started.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn run_status(
        &mut self,
        org: OrganisationId,
        run_date: Date,
    ) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT status FROM dunning_runs WHERE organisation_id = $1 AND run_date = $2",
        )
        .bind(org.0)
        .bind(run_date.to_string())
        .fetch_optional(self.conn())
        .await?)
    }

    /// The actions of the run of `run_date` counted by step, channels and status.
    ///
    /// # Errors
    /// [`StoreError::Database`] or [`StoreError::Corrupt`].
    pub async fn run_step_counts(
        &mut self,
        org: OrganisationId,
        run_date: Date,
    ) -> Result<Vec<RunStepCount>, StoreError> {
        const T: &str = "dunning_actions";
        let rows = sqlx::query(
            "SELECT step_key, channels, status, CAST(COUNT(*) AS BIGINT) AS n \
             FROM dunning_actions WHERE organisation_id = $1 AND run_date = $2 \
             GROUP BY step_key, channels, status ORDER BY step_key, channels, status",
        )
        .bind(org.0)
        .bind(run_date.to_string())
        .fetch_all(self.conn())
        .await?;
        rows.iter()
            .map(|r| {
                let status: String = r.try_get("status")?;
                let channels: String = r.try_get("channels")?;
                Ok(RunStepCount {
                    step_key: r.try_get("step_key")?,
                    channels: parse_list(T, "channels", &channels)?,
                    status: ActionStatus::parse(&status)
                        .ok_or_else(|| corrupt(T, "status", &status))?,
                    count: count(r.try_get("n")?),
                })
            })
            .collect()
    }
}
