// The debtor portal's data — installation keys, portal settings, personal links, answers and
// disputes — written once for both backends (see common.rs, which this file follows in the same
// module).

fn decode_link(r: &DbRow) -> Result<StoredPortalLink, StoreError> {
    Ok(StoredPortalLink {
        id: r.try_get("id")?,
        debtor_id: DebtorId(r.try_get("debtor_id")?),
        nonce: r.try_get("nonce")?,
        created_at: r.try_get("created_at")?,
        expires_on: date(r, "portal_links", "expires_on")?,
        revoked_at: r.try_get("revoked_at")?,
        revoked_by: r.try_get("revoked_by")?,
        last_used_at: r.try_get("last_used_at")?,
    })
}

const LINK_COLUMNS: &str =
    "id, debtor_id, nonce, created_at, expires_on, revoked_at, revoked_by, last_used_at";

fn decode_response(r: &DbRow) -> Result<StoredPortalResponse, StoreError> {
    let details: String = r.try_get("details")?;
    let name: Option<String> = r.try_get("attachment_name")?;
    let kind: Option<String> = r.try_get("attachment_type")?;
    Ok(StoredPortalResponse {
        id: r.try_get("id")?,
        debtor_id: DebtorId(r.try_get("debtor_id")?),
        link_id: r.try_get("link_id")?,
        kind: r.try_get("kind")?,
        invoice_id: r.try_get::<Option<i64>, _>("invoice_id")?.map(InvoiceId),
        details: serde_json::from_str(&details)
            .map_err(|_| corrupt("portal_responses", "details", details.clone()))?,
        attachment: name.zip(kind),
        task_id: r.try_get("task_id")?,
        created_at: r.try_get("created_at")?,
    })
}

fn decode_dispute(r: &DbRow) -> Result<StoredDispute, StoreError> {
    Ok(StoredDispute {
        id: r.try_get("id")?,
        invoice_id: InvoiceId(r.try_get("invoice_id")?),
        invoice_number: r.try_get("number")?,
        debtor_id: DebtorId(r.try_get("debtor_id")?),
        reason: r.try_get("reason")?,
        text: r.try_get("text")?,
        status: r.try_get("status")?,
        resolution: r.try_get("resolution")?,
        resolution_note: r.try_get("resolution_note")?,
        response_id: r.try_get("response_id")?,
        opened_at: r.try_get("opened_at")?,
        opened_by: r.try_get("opened_by")?,
        resolved_at: r.try_get("resolved_at")?,
        resolved_by: r.try_get("resolved_by")?,
    })
}

const DISPUTE_COLUMNS: &str = "x.id, x.invoice_id, i.number, x.debtor_id, x.reason, x.text, \
     x.status, x.resolution, x.resolution_note, x.response_id, x.opened_at, x.opened_by, \
     x.resolved_at, x.resolved_by";

impl Tx {
    /// The installation's key `name`: `fresh` is stored when there is none yet, and whichever is
    /// stored (a concurrent first use may have won) is returned.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn server_key(
        &mut self,
        name: &str,
        fresh: &[u8],
        at: i64,
    ) -> Result<Vec<u8>, StoreError> {
        sqlx::query(
            "INSERT INTO server_keys (name, secret, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(fresh)
        .bind(at)
        .execute(self.conn())
        .await?;
        let secret: Vec<u8> = sqlx::query_scalar("SELECT secret FROM server_keys WHERE name = $1")
            .bind(name)
            .fetch_one(self.conn())
            .await?;
        Ok(secret)
    }

    /// The organisation's portal settings, when it saved any.
    ///
    /// # Errors
    /// [`StoreError::Database`] or [`StoreError::Corrupt`].
    pub async fn portal_settings(
        &mut self,
        org: OrganisationId,
    ) -> Result<Option<PortalSettingsRow>, StoreError> {
        let row = sqlx::query(
            "SELECT second_check, link_days, rules FROM portal_settings WHERE organisation_id = $1",
        )
        .bind(org.0)
        .fetch_optional(self.conn())
        .await?;
        row.map(|r| {
            let days: i64 = r.try_get("link_days")?;
            Ok(PortalSettingsRow {
                second_check: r.try_get("second_check")?,
                link_days: u32::try_from(days)
                    .map_err(|_| corrupt("portal_settings", "link_days", days))?,
                rules: r.try_get("rules")?,
            })
        })
        .transpose()
    }

    /// Replaces the organisation's portal settings.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn set_portal_settings(
        &mut self,
        org: OrganisationId,
        s: &PortalSettingsRow,
        at: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO portal_settings (organisation_id, second_check, link_days, rules, \
             updated_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (organisation_id) DO UPDATE SET \
             second_check = excluded.second_check, link_days = excluded.link_days, \
             rules = excluded.rules, updated_at = excluded.updated_at",
        )
        .bind(org.0)
        .bind(&s.second_check)
        .bind(i64::from(s.link_days))
        .bind(&s.rules)
        .bind(at)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// Stores a new personal link with the id the caller reserved.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn insert_portal_link(
        &mut self,
        org: OrganisationId,
        id: i64,
        debtor: DebtorId,
        nonce: &str,
        expires_on: Date,
        at: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO portal_links (organisation_id, id, debtor_id, nonce, created_at, \
             expires_on) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(org.0)
        .bind(id)
        .bind(debtor.0)
        .bind(nonce)
        .bind(at)
        .bind(expires_on.to_string())
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// The link with `nonce`, of whichever organisation, with that organisation.
    ///
    /// # Errors
    /// [`StoreError::Database`] or [`StoreError::Corrupt`].
    pub async fn find_portal_link(
        &mut self,
        nonce: &str,
    ) -> Result<Option<(OrganisationId, StoredPortalLink)>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT organisation_id, {LINK_COLUMNS} FROM portal_links WHERE nonce = $1"
        )))
        .bind(nonce)
        .fetch_optional(self.conn())
        .await?;
        row.map(|r| Ok((OrganisationId(r.try_get("organisation_id")?), decode_link(&r)?)))
            .transpose()
    }

    /// The debtor's links, newest first.
    ///
    /// # Errors
    /// [`StoreError::Database`] or [`StoreError::Corrupt`].
    pub async fn portal_links_of(
        &mut self,
        org: OrganisationId,
        debtor: DebtorId,
    ) -> Result<Vec<StoredPortalLink>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {LINK_COLUMNS} FROM portal_links WHERE organisation_id = $1 AND debtor_id = $2 \
             ORDER BY id DESC"
        )))
        .bind(org.0)
        .bind(debtor.0)
        .fetch_all(self.conn())
        .await?;
        rows.iter().map(decode_link).collect()
    }

    /// Revokes a link; false when it was revoked already or is not the organisation's.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn revoke_portal_link(
        &mut self,
        org: OrganisationId,
        id: i64,
        by: &str,
        at: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE portal_links SET revoked_at = $3, revoked_by = $4 \
             WHERE organisation_id = $1 AND id = $2 AND revoked_at IS NULL",
        )
        .bind(org.0)
        .bind(id)
        .bind(at)
        .bind(by)
        .execute(self.conn())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Notes that a link was used.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn touch_portal_link(
        &mut self,
        org: OrganisationId,
        id: i64,
        at: i64,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE portal_links SET last_used_at = $3 WHERE organisation_id = $1 AND id = $2")
            .bind(org.0)
            .bind(id)
            .bind(at)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// Stores an answer with the id the caller reserved.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn insert_portal_response(
        &mut self,
        org: OrganisationId,
        id: i64,
        r: &NewPortalResponse,
        at: i64,
    ) -> Result<(), StoreError> {
        let a = r.attachment.as_ref();
        sqlx::query(
            "INSERT INTO portal_responses (organisation_id, id, debtor_id, link_id, kind, \
             invoice_id, details, attachment_name, attachment_type, attachment, task_id, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(org.0)
        .bind(id)
        .bind(r.debtor_id.0)
        .bind(r.link_id)
        .bind(&r.kind)
        .bind(r.invoice_id.map(|i| i.0))
        .bind(r.details.to_string())
        .bind(a.map(|a| a.file_name.as_str()))
        .bind(a.map(|a| a.content_type.as_str()))
        .bind(a.map(|a| a.content.as_slice()))
        .bind(r.task_id)
        .bind(at)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// The debtor's answers, newest first, at most `limit`.
    ///
    /// # Errors
    /// [`StoreError::Database`] or [`StoreError::Corrupt`].
    pub async fn portal_responses_of(
        &mut self,
        org: OrganisationId,
        debtor: DebtorId,
        limit: u32,
    ) -> Result<Vec<StoredPortalResponse>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, debtor_id, link_id, kind, invoice_id, details, attachment_name, \
             attachment_type, task_id, created_at FROM portal_responses \
             WHERE organisation_id = $1 AND debtor_id = $2 ORDER BY id DESC LIMIT $3",
        )
        .bind(org.0)
        .bind(debtor.0)
        .bind(i64::from(limit))
        .fetch_all(self.conn())
        .await?;
        rows.iter().map(decode_response).collect()
    }

    /// The file uploaded with an answer.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn portal_response_file(
        &mut self,
        org: OrganisationId,
        id: i64,
    ) -> Result<Option<Upload>, StoreError> {
        let row = sqlx::query(
            "SELECT attachment_name, attachment_type, attachment FROM portal_responses \
             WHERE organisation_id = $1 AND id = $2 AND attachment IS NOT NULL",
        )
        .bind(org.0)
        .bind(id)
        .fetch_optional(self.conn())
        .await?;
        row.map(|r| {
            Ok(Upload {
                file_name: r.try_get("attachment_name")?,
                content_type: r.try_get("attachment_type")?,
                content: r.try_get("attachment")?,
            })
        })
        .transpose()
    }

    /// Opens a dispute with the id the caller reserved.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] (`dispute`) when the invoice has an open one.
    pub async fn insert_dispute(
        &mut self,
        org: OrganisationId,
        id: i64,
        d: &NewDispute,
        at: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO disputes (organisation_id, id, invoice_id, debtor_id, reason, text, \
             status, response_id, opened_at, opened_by) \
             VALUES ($1, $2, $3, $4, $5, $6, 'open', $7, $8, $9)",
        )
        .bind(org.0)
        .bind(id)
        .bind(d.invoice_id.0)
        .bind(d.debtor_id.0)
        .bind(&d.reason)
        .bind(&d.text)
        .bind(d.response_id)
        .bind(at)
        .bind(&d.opened_by)
        .execute(self.conn())
        .await
        .map_err(|e| StoreError::from_unique(e, "dispute", &d.invoice_id.0.to_string()))?;
        Ok(())
    }

    /// The debtor's disputes, open ones first, then newest first.
    ///
    /// # Errors
    /// [`StoreError::Database`] or [`StoreError::Corrupt`].
    pub async fn disputes_of(
        &mut self,
        org: OrganisationId,
        debtor: DebtorId,
    ) -> Result<Vec<StoredDispute>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {DISPUTE_COLUMNS} FROM disputes x JOIN invoices i ON \
             i.organisation_id = x.organisation_id AND i.id = x.invoice_id \
             WHERE x.organisation_id = $1 AND x.debtor_id = $2 \
             ORDER BY CASE WHEN x.status = 'open' THEN 0 ELSE 1 END, x.id DESC"
        )))
        .bind(org.0)
        .bind(debtor.0)
        .fetch_all(self.conn())
        .await?;
        rows.iter().map(decode_dispute).collect()
    }

    /// One dispute.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when it is not the organisation's.
    pub async fn get_dispute(
        &mut self,
        org: OrganisationId,
        id: i64,
    ) -> Result<StoredDispute, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {DISPUTE_COLUMNS} FROM disputes x JOIN invoices i ON \
             i.organisation_id = x.organisation_id AND i.id = x.invoice_id \
             WHERE x.organisation_id = $1 AND x.id = $2"
        )))
        .bind(org.0)
        .bind(id)
        .fetch_optional(self.conn())
        .await?;
        match row {
            Some(r) => decode_dispute(&r),
            None => Err(StoreError::NotFound { entity: "dispute", key: id.to_string() }),
        }
    }

    /// Resolves an open dispute; false when it was not open.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn resolve_dispute(
        &mut self,
        org: OrganisationId,
        id: i64,
        resolution: &str,
        note: Option<&str>,
        by: &str,
        at: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE disputes SET status = 'resolved', resolution = $3, resolution_note = $4, \
             resolved_by = $5, resolved_at = $6 \
             WHERE organisation_id = $1 AND id = $2 AND status = 'open'",
        )
        .bind(org.0)
        .bind(id)
        .bind(resolution)
        .bind(note)
        .bind(by)
        .bind(at)
        .execute(self.conn())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Sets or lifts the dispute hold of one invoice, keeping its other holds.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn set_item_disputed(
        &mut self,
        org: OrganisationId,
        invoice: InvoiceId,
        disputed: bool,
        at: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO dunning_items (organisation_id, invoice_id, disputed, in_payment_plan, \
             updated_at) VALUES ($1, $2, $3, 0, $4) ON CONFLICT (organisation_id, invoice_id) \
             DO UPDATE SET disputed = excluded.disputed, updated_at = excluded.updated_at",
        )
        .bind(org.0)
        .bind(invoice.0)
        .bind(i64::from(disputed))
        .bind(at)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// Lifts the promise hold of one invoice, keeping its other holds.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn clear_item_promise(
        &mut self,
        org: OrganisationId,
        invoice: InvoiceId,
        at: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE dunning_items SET promised_until = NULL, updated_at = $3 \
             WHERE organisation_id = $1 AND invoice_id = $2",
        )
        .bind(org.0)
        .bind(invoice.0)
        .bind(at)
        .execute(self.conn())
        .await?;
        Ok(())
    }
}
