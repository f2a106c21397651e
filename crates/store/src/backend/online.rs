// Payments debtors start online (see migration 0011), written once for both backends (see
// common.rs, which this file follows in the same module).

const ONLINE_COLUMNS: &str = "id, debtor_id, link_id, provider, provider_id, method, currency, \
     amount_minor, invoices, status, payment_id, created_at, updated_at";

fn decode_online(r: &DbRow) -> Result<OnlinePayment, StoreError> {
    let invoices: String = r.try_get("invoices")?;
    let ids: Vec<i64> = serde_json::from_str(&invoices)
        .map_err(|_| corrupt("online_payments", "invoices", invoices.clone()))?;
    let cur = currency(r, "online_payments", "currency")?;
    Ok(OnlinePayment {
        id: r.try_get("id")?,
        debtor_id: DebtorId(r.try_get("debtor_id")?),
        link_id: r.try_get("link_id")?,
        provider: r.try_get("provider")?,
        provider_id: r.try_get("provider_id")?,
        method: r.try_get("method")?,
        amount: Money::from_minor(r.try_get("amount_minor")?, cur),
        invoices: ids.into_iter().map(InvoiceId).collect(),
        status: r.try_get("status")?,
        payment_id: r.try_get::<Option<i64>, _>("payment_id")?.map(PaymentId),
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

impl Tx {
    /// Stores a new online payment (status `open`, no provider id yet) with the id the caller
    /// reserved.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn insert_online_payment(
        &mut self,
        org: OrganisationId,
        p: &OnlinePayment,
    ) -> Result<(), StoreError> {
        let ids: Vec<i64> = p.invoices.iter().map(|i| i.0).collect();
        sqlx::query(
            "INSERT INTO online_payments (organisation_id, id, debtor_id, link_id, provider, \
             provider_id, method, currency, amount_minor, invoices, status, payment_id, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, \
             $13, $14)",
        )
        .bind(org.0)
        .bind(p.id)
        .bind(p.debtor_id.0)
        .bind(p.link_id)
        .bind(&p.provider)
        .bind(p.provider_id.as_deref())
        .bind(p.method.as_deref())
        .bind(p.amount.currency().code())
        .bind(p.amount.minor())
        .bind(serde_json::to_string(&ids).unwrap_or_default())
        .bind(&p.status)
        .bind(p.payment_id.map(|x| x.0))
        .bind(p.created_at)
        .bind(p.updated_at)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// Records the provider's id of an online payment that has none yet; false otherwise.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] (`online_payment`) when another payment has that provider id.
    pub async fn set_online_provider_id(
        &mut self,
        org: OrganisationId,
        id: i64,
        provider_id: &str,
        at: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE online_payments SET provider_id = $3, updated_at = $4 \
             WHERE organisation_id = $1 AND id = $2 AND provider_id IS NULL",
        )
        .bind(org.0)
        .bind(id)
        .bind(provider_id)
        .bind(at)
        .execute(self.conn())
        .await
        .map_err(|e| StoreError::from_unique(e, "online_payment", provider_id))?;
        Ok(done.rows_affected() == 1)
    }

    /// The online payment the provider knows as `provider_id`, of whichever organisation.
    ///
    /// # Errors
    /// [`StoreError::Database`] or [`StoreError::Corrupt`].
    pub async fn find_online_payment(
        &mut self,
        provider: &str,
        provider_id: &str,
    ) -> Result<Option<(OrganisationId, OnlinePayment)>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT organisation_id, {ONLINE_COLUMNS} FROM online_payments \
             WHERE provider = $1 AND provider_id = $2"
        )))
        .bind(provider)
        .bind(provider_id)
        .fetch_optional(self.conn())
        .await?;
        row.map(|r| Ok((OrganisationId(r.try_get("organisation_id")?), decode_online(&r)?)))
            .transpose()
    }

    /// One online payment of the organisation.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when it is not the organisation's.
    pub async fn get_online_payment(
        &mut self,
        org: OrganisationId,
        id: i64,
    ) -> Result<OnlinePayment, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {ONLINE_COLUMNS} FROM online_payments WHERE organisation_id = $1 AND id = $2"
        )))
        .bind(org.0)
        .bind(id)
        .fetch_optional(self.conn())
        .await?;
        match row {
            Some(r) => decode_online(&r),
            None => Err(StoreError::NotFound { entity: "online_payment", key: id.to_string() }),
        }
    }

    /// Sets the status of an online payment, and the ledger payment it became (once: a payment
    /// id already set is kept).
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn set_online_status(
        &mut self,
        org: OrganisationId,
        id: i64,
        status: &str,
        method: Option<&str>,
        payment: Option<PaymentId>,
        at: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE online_payments SET status = $3, method = COALESCE($4, method), \
             payment_id = COALESCE(payment_id, $5), updated_at = $6 \
             WHERE organisation_id = $1 AND id = $2",
        )
        .bind(org.0)
        .bind(id)
        .bind(status)
        .bind(method)
        .bind(payment.map(|p| p.0))
        .bind(at)
        .execute(self.conn())
        .await?;
        Ok(())
    }
}
