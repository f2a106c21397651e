// Payment plans — a debtor's plan, its instalments (each with its own payment reference) and the
// invoices it pays — written once for both backends (see common.rs, which this file follows in
// the same module).

const PLAN_COLUMNS: &str = "p.id, p.debtor_id, p.status, p.currency, p.total_minor, p.interval, \
     p.created_at, p.created_by, p.response_id, p.decided_at, p.decided_by, p.ended_on";

fn plan_state(r: &DbRow, table: &'static str) -> Result<PlanState, StoreError> {
    let raw: String = r.try_get("status")?;
    PlanState::parse(&raw).ok_or_else(|| corrupt(table, "status", &raw))
}

fn decode_plan(r: &DbRow) -> Result<StoredPaymentPlan, StoreError> {
    const T: &str = "payment_plans";
    let cur = currency(r, T, "currency")?;
    let interval: String = r.try_get("interval")?;
    Ok(StoredPaymentPlan {
        id: r.try_get("id")?,
        debtor_id: DebtorId(r.try_get("debtor_id")?),
        state: plan_state(r, T)?,
        total: Money::from_minor(r.try_get("total_minor")?, cur),
        interval: match interval.as_str() {
            "weekly" => arflow_core::arrangement::Interval::Weekly,
            "monthly" => arflow_core::arrangement::Interval::Monthly,
            _ => return Err(corrupt(T, "interval", &interval)),
        },
        created_at: r.try_get("created_at")?,
        created_by: r.try_get("created_by")?,
        response_id: r.try_get("response_id")?,
        decided_at: r.try_get("decided_at")?,
        decided_by: r.try_get("decided_by")?,
        ended_on: opt_date(r, T, "ended_on")?,
        instalments: Vec::new(),
        items: Vec::new(),
    })
}

fn position(r: &DbRow, table: &'static str) -> Result<u32, StoreError> {
    let p: i64 = r.try_get("position")?;
    u32::try_from(p).map_err(|_| corrupt(table, "position", p))
}

fn decode_plan_item(r: &DbRow) -> Result<PlanItemRow, StoreError> {
    Ok(PlanItemRow {
        invoice_id: InvoiceId(r.try_get("invoice_id")?),
        number: r.try_get("number")?,
        open: Money::from_minor(r.try_get("open_minor")?, currency(r, "invoices", "currency")?),
    })
}

impl Tx {
    /// Stores a plan with its instalments and invoices, with the id the caller reserved.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] (`plan_reference`) when an instalment's reference is taken in
    /// the organisation, else [`StoreError::Database`].
    pub async fn insert_payment_plan(
        &mut self,
        org: OrganisationId,
        plan: &NewPaymentPlan,
        at: i64,
    ) -> Result<(), StoreError> {
        let (decided_by, decided_at) = plan.decided.clone().unzip();
        sqlx::query(
            "INSERT INTO payment_plans (organisation_id, id, debtor_id, status, currency, \
             total_minor, interval, created_at, created_by, response_id, decided_at, decided_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(org.0)
        .bind(plan.id)
        .bind(plan.debtor_id.0)
        .bind(plan.state.as_str())
        .bind(plan.total.currency().code().to_owned())
        .bind(plan.total.minor())
        .bind(plan.interval.as_str())
        .bind(at)
        .bind(&plan.created_by)
        .bind(plan.response_id)
        .bind(decided_at)
        .bind(decided_by)
        .execute(self.conn())
        .await?;
        for chunk in plan.instalments.chunks(BATCH_ROWS_MAX / 2) {
            let mut qb = QueryBuilder::<DB>::new(
                "INSERT INTO plan_instalments (organisation_id, plan_id, position, due_date, \
                 amount_minor, reference) ",
            );
            qb.push_values(chunk, |mut b, i| {
                b.push_bind(org.0)
                    .push_bind(plan.id)
                    .push_bind(i64::from(i.position))
                    .push_bind(i.due_date.to_string())
                    .push_bind(i.amount.minor())
                    .push_bind(i.reference.clone());
            });
            let key = chunk.iter().map(|i| i.reference.as_str()).collect::<Vec<_>>().join(", ");
            qb.build()
                .execute(self.conn())
                .await
                .map_err(|e| StoreError::from_unique(e, "plan_reference", &key))?;
        }
        for chunk in plan.items.chunks(BATCH_ROWS_MAX) {
            let mut qb = QueryBuilder::<DB>::new(
                "INSERT INTO plan_items (organisation_id, plan_id, invoice_id) ",
            );
            qb.push_values(chunk, |mut b, i| {
                b.push_bind(org.0).push_bind(plan.id).push_bind(i.0);
            });
            qb.build().execute(self.conn()).await?;
        }
        Ok(())
    }

    /// Adds the instalments and invoices of `plans` (each read without them).
    async fn fill_plans(
        &mut self,
        org: OrganisationId,
        plans: &mut [StoredPaymentPlan],
    ) -> Result<(), StoreError> {
        let ids: Vec<i64> = plans.iter().map(|p| p.id).collect();
        let mut instalments: HashMap<i64, Vec<PlanInstalmentRow>> = HashMap::new();
        let mut items: HashMap<i64, Vec<PlanItemRow>> = HashMap::new();
        for chunk in ids.chunks(BATCH_ROWS_MAX) {
            let mut qb = QueryBuilder::<DB>::new(
                "SELECT s.plan_id, s.position, s.due_date, s.amount_minor, s.reference, \
                 p.currency FROM plan_instalments s JOIN payment_plans p ON \
                 p.organisation_id = s.organisation_id AND p.id = s.plan_id \
                 WHERE s.organisation_id = ",
            );
            qb.push_bind(org.0);
            push_in(&mut qb, "s.plan_id", chunk.iter().copied());
            qb.push(" ORDER BY s.plan_id, s.position");
            for r in qb.build().fetch_all(self.conn()).await? {
                const T: &str = "plan_instalments";
                let cur = currency(&r, "payment_plans", "currency")?;
                instalments.entry(r.try_get("plan_id")?).or_default().push(PlanInstalmentRow {
                    position: position(&r, T)?,
                    due_date: date(&r, T, "due_date")?,
                    amount: Money::from_minor(r.try_get("amount_minor")?, cur),
                    reference: r.try_get("reference")?,
                });
            }
            let mut qb = QueryBuilder::<DB>::new(
                "SELECT t.plan_id, t.invoice_id, i.number, i.open_minor, i.currency \
                 FROM plan_items t JOIN invoices i ON \
                 i.organisation_id = t.organisation_id AND i.id = t.invoice_id \
                 WHERE t.organisation_id = ",
            );
            qb.push_bind(org.0);
            push_in(&mut qb, "t.plan_id", chunk.iter().copied());
            qb.push(" ORDER BY t.plan_id, t.invoice_id");
            for r in qb.build().fetch_all(self.conn()).await? {
                items.entry(r.try_get("plan_id")?).or_default().push(decode_plan_item(&r)?);
            }
        }
        for p in plans.iter_mut() {
            p.instalments = instalments.remove(&p.id).unwrap_or_default();
            p.items = items.remove(&p.id).unwrap_or_default();
        }
        Ok(())
    }

    /// Plans matching `condition` (on `p`, with `$2` bound to `arg`), by id, complete.
    async fn plans_where(
        &mut self,
        org: OrganisationId,
        condition: &str,
        arg: PlanArg<'_>,
    ) -> Result<Vec<StoredPaymentPlan>, StoreError> {
        let sql = format!(
            "SELECT {PLAN_COLUMNS} FROM payment_plans p WHERE p.organisation_id = $1 AND \
             {condition} ORDER BY p.id"
        );
        let query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(org.0);
        let query = match arg {
            PlanArg::Number(n) => query.bind(n),
            PlanArg::Text(t) => query.bind(t),
        };
        let rows = query.fetch_all(self.conn()).await?;
        let mut plans = rows.iter().map(decode_plan).collect::<Result<Vec<_>, _>>()?;
        self.fill_plans(org, &mut plans).await?;
        Ok(plans)
    }

    /// One plan with its instalments and invoices.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] (`payment_plan`) when it is not the organisation's.
    pub async fn get_payment_plan(
        &mut self,
        org: OrganisationId,
        id: i64,
    ) -> Result<StoredPaymentPlan, StoreError> {
        self.plans_where(org, "p.id = $2", PlanArg::Number(id))
            .await?
            .pop()
            .ok_or(StoreError::NotFound { entity: "payment_plan", key: id.to_string() })
    }

    /// The debtor's plans, oldest first, each complete.
    ///
    /// # Errors
    /// [`StoreError::Database`] or [`StoreError::Corrupt`].
    pub async fn payment_plans_of(
        &mut self,
        org: OrganisationId,
        debtor: DebtorId,
    ) -> Result<Vec<StoredPaymentPlan>, StoreError> {
        self.plans_where(org, "p.debtor_id = $2", PlanArg::Number(debtor.0)).await
    }

    /// The organisation's plans in `state` (the daily run follows the active ones), by id, each
    /// complete.
    ///
    /// # Errors
    /// [`StoreError::Database`] or [`StoreError::Corrupt`].
    pub async fn payment_plans_in_state(
        &mut self,
        org: OrganisationId,
        state: PlanState,
    ) -> Result<Vec<StoredPaymentPlan>, StoreError> {
        self.plans_where(org, "p.status = $2", PlanArg::Text(state.as_str())).await
    }

    /// The organisation's plans that ended on `on` (completed, broken, rejected or cancelled
    /// that day), by id, each complete.
    ///
    /// # Errors
    /// [`StoreError::Database`] or [`StoreError::Corrupt`].
    pub async fn payment_plans_ended_on(
        &mut self,
        org: OrganisationId,
        on: Date,
    ) -> Result<Vec<StoredPaymentPlan>, StoreError> {
        let day = on.to_string();
        self.plans_where(org, "p.ended_on = $2", PlanArg::Text(&day)).await
    }

    /// Moves a plan from `from` to `to`, recording who and when (the first decision on a plan
    /// is kept: a later change leaves `decided_*` as they are) and the day it ended; false when
    /// the plan was not in `from` or is not the organisation's.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn set_payment_plan_state(
        &mut self,
        org: OrganisationId,
        id: i64,
        from: PlanState,
        to: PlanState,
        by: &str,
        at: i64,
        ended_on: Option<Date>,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE payment_plans SET status = $4, decided_by = COALESCE(decided_by, $5), \
             decided_at = COALESCE(decided_at, $6), ended_on = $7 \
             WHERE organisation_id = $1 AND id = $2 AND status = $3",
        )
        .bind(org.0)
        .bind(id)
        .bind(from.as_str())
        .bind(to.as_str())
        .bind(by)
        .bind(at)
        .bind(ended_on.map(|d| d.to_string()))
        .execute(self.conn())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The plan instalment with payment reference `reference` (normalized), with its plan's
    /// invoices that still have money open.
    ///
    /// # Errors
    /// [`StoreError::Database`] or [`StoreError::Corrupt`].
    pub async fn find_plan_instalment(
        &mut self,
        org: OrganisationId,
        reference: &str,
    ) -> Result<Option<PlanReferenceMatch>, StoreError> {
        Ok(self.find_plan_instalments(org, &[reference]).await?.remove(reference))
    }

    /// The plan instalments with one of the payment references `references` (normalized), by
    /// reference, each with its plan's invoices that still have money open; references that
    /// are no instalment's are left out. A few queries for the whole batch, not one per
    /// reference.
    ///
    /// # Errors
    /// [`StoreError::Database`] or [`StoreError::Corrupt`].
    pub async fn find_plan_instalments(
        &mut self,
        org: OrganisationId,
        references: &[&str],
    ) -> Result<HashMap<String, PlanReferenceMatch>, StoreError> {
        const T: &str = "plan_instalments";
        let mut out: HashMap<String, PlanReferenceMatch> = HashMap::new();
        for chunk in references.chunks(BATCH_ROWS_MAX) {
            let mut qb = QueryBuilder::<DB>::new(
                "SELECT s.reference, s.plan_id, s.position, s.due_date, s.amount_minor, \
                 p.currency, p.debtor_id, p.status, (SELECT COUNT(*) FROM plan_instalments c \
                 WHERE c.organisation_id = s.organisation_id AND c.plan_id = s.plan_id) \
                 AS instalments FROM plan_instalments s JOIN payment_plans p ON \
                 p.organisation_id = s.organisation_id AND p.id = s.plan_id \
                 WHERE s.organisation_id = ",
            );
            qb.push_bind(org.0);
            push_in(&mut qb, "s.reference", chunk.iter().map(|r| (*r).to_owned()));
            for r in qb.build().fetch_all(self.conn()).await? {
                let count: i64 = r.try_get("instalments")?;
                let m = PlanReferenceMatch {
                    reference: r.try_get("reference")?,
                    plan_id: r.try_get("plan_id")?,
                    debtor_id: DebtorId(r.try_get("debtor_id")?),
                    state: plan_state(&r, "payment_plans")?,
                    position: position(&r, T)?,
                    instalments: u32::try_from(count).map_err(|_| corrupt(T, "position", count))?,
                    due_date: date(&r, T, "due_date")?,
                    amount: Money::from_minor(
                        r.try_get("amount_minor")?,
                        currency(&r, "payment_plans", "currency")?,
                    ),
                    open_items: Vec::new(),
                };
                out.insert(m.reference.clone(), m);
            }
        }
        let mut plans: Vec<i64> = out.values().map(|m| m.plan_id).collect();
        plans.sort_unstable();
        plans.dedup();
        let mut items: HashMap<i64, Vec<PlanItemRow>> = HashMap::new();
        for chunk in plans.chunks(BATCH_ROWS_MAX) {
            let mut qb = QueryBuilder::<DB>::new(
                "SELECT t.plan_id, t.invoice_id, i.number, i.open_minor, i.currency \
                 FROM plan_items t JOIN invoices i ON \
                 i.organisation_id = t.organisation_id AND i.id = t.invoice_id \
                 WHERE i.open_minor > 0 AND t.organisation_id = ",
            );
            qb.push_bind(org.0);
            push_in(&mut qb, "t.plan_id", chunk.iter().copied());
            qb.push(" ORDER BY t.plan_id, t.invoice_id");
            for r in qb.build().fetch_all(self.conn()).await? {
                items.entry(r.try_get("plan_id")?).or_default().push(decode_plan_item(&r)?);
            }
        }
        for m in out.values_mut() {
            m.open_items = items.get(&m.plan_id).cloned().unwrap_or_default();
        }
        Ok(out)
    }

    /// Sets or lifts the payment-plan hold of every invoice of a plan, keeping their other
    /// holds; returns how many invoices it touched (none for another organisation's plan).
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn set_plan_items_held(
        &mut self,
        org: OrganisationId,
        plan: i64,
        held: bool,
        at: i64,
    ) -> Result<u64, StoreError> {
        // The WHERE clause also keeps SQLite from reading ON CONFLICT as part of the SELECT.
        let done = sqlx::query(
            "INSERT INTO dunning_items (organisation_id, invoice_id, disputed, in_payment_plan, \
             updated_at) SELECT organisation_id, invoice_id, 0, $3, $4 FROM plan_items \
             WHERE organisation_id = $1 AND plan_id = $2 \
             ON CONFLICT (organisation_id, invoice_id) DO UPDATE SET \
             in_payment_plan = excluded.in_payment_plan, updated_at = excluded.updated_at",
        )
        .bind(org.0)
        .bind(plan)
        .bind(i64::from(held))
        .bind(at)
        .execute(self.conn())
        .await?;
        Ok(done.rows_affected())
    }
}

/// The one value a plan query binds besides the organisation.
#[derive(Clone, Copy)]
enum PlanArg<'a> {
    Number(i64),
    Text(&'a str),
}
