// Bank entries and reconciliation, written once for both backends (see common.rs, which this file
// follows in the same module).

const BANK_ENTRY_COLUMNS: &str = "id, entry_key, content_sha256, account, statement_id, format, \
     booking_date, value_date, amount_minor, currency, counterparty_name, counterparty_iban, \
     counterparty_bic, reference_scheme, reference, remittance, end_to_end_id, bank_reference, \
     transaction_code, reversal, return_reason, status, payment_id, reverses_payment_id, \
     proposals, decided_by, decided_at, created_at";

fn decode_bank_entry(row: &DbRow) -> Result<StoredBankEntry, StoreError> {
    const T: &str = "bank_entries";
    let status: String = row.try_get("status")?;
    Ok(StoredBankEntry {
        id: row.try_get("id")?,
        entry_key: row.try_get("entry_key")?,
        content_sha256: row.try_get("content_sha256")?,
        account: row.try_get("account")?,
        statement_id: opt_text(row, "statement_id")?,
        format: row.try_get("format")?,
        booking_date: date(row, T, "booking_date")?,
        value_date: opt_date(row, T, "value_date")?,
        amount: Money::from_minor(row.try_get("amount_minor")?, currency(row, T, "currency")?),
        counterparty_name: opt_text(row, "counterparty_name")?,
        counterparty_iban: opt_text(row, "counterparty_iban")?,
        counterparty_bic: opt_text(row, "counterparty_bic")?,
        reference_scheme: opt_text(row, "reference_scheme")?,
        reference: opt_text(row, "reference")?,
        remittance: row.try_get("remittance")?,
        end_to_end_id: opt_text(row, "end_to_end_id")?,
        bank_reference: opt_text(row, "bank_reference")?,
        transaction_code: opt_text(row, "transaction_code")?,
        reversal: row.try_get::<i64, _>("reversal")? != 0,
        return_reason: opt_text(row, "return_reason")?,
        status: BankEntryStatus::parse(&status).ok_or_else(|| corrupt(T, "status", &status))?,
        payment_id: row.try_get::<Option<i64>, _>("payment_id")?.map(PaymentId),
        reverses_payment_id: row.try_get::<Option<i64>, _>("reverses_payment_id")?.map(PaymentId),
        proposals: opt_text(row, "proposals")?,
        decided_by: opt_text(row, "decided_by")?,
        decided_at: row.try_get("decided_at")?,
        created_at: row.try_get("created_at")?,
    })
}

impl Tx {
    /// The stored entries with the given keys: key → (id, content fingerprint).
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn find_bank_entry_keys(
        &mut self,
        org: OrganisationId,
        keys: &[&str],
    ) -> Result<HashMap<String, (i64, String)>, StoreError> {
        let mut out = HashMap::with_capacity(keys.len());
        for chunk in keys.chunks(BATCH_ROWS_MAX) {
            let mut qb = QueryBuilder::<DB>::new(
                "SELECT entry_key, id, content_sha256 FROM bank_entries WHERE organisation_id = ",
            );
            qb.push_bind(org.0);
            push_in(&mut qb, "entry_key", chunk.iter().map(|s| (*s).to_owned()));
            for r in qb.build().fetch_all(self.conn()).await? {
                out.insert(
                    r.try_get("entry_key")?,
                    (r.try_get("id")?, r.try_get("content_sha256")?),
                );
            }
        }
        Ok(out)
    }

    /// Inserts bank entries with the ids the caller reserved.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] when a key is stored already.
    pub async fn insert_bank_entries(
        &mut self,
        org: OrganisationId,
        rows: &[NewBankEntry],
        at: i64,
    ) -> Result<(), StoreError> {
        const CHUNK: usize = BATCH_ROWS_MAX / 4;
        for chunk in rows.chunks(CHUNK) {
            let mut qb = QueryBuilder::<DB>::new(
                "INSERT INTO bank_entries (organisation_id, id, entry_key, content_sha256, account, \
                 statement_id, format, booking_date, value_date, amount_minor, currency, \
                 counterparty_name, counterparty_iban, counterparty_bic, reference_scheme, \
                 reference, remittance, end_to_end_id, bank_reference, transaction_code, reversal, \
                 return_reason, status, payment_id, reverses_payment_id, proposals, decided_by, \
                 decided_at, created_at) ",
            );
            qb.push_values(chunk.iter(), |mut b, r| {
                b.push_bind(org.0)
                    .push_bind(r.id)
                    .push_bind(r.entry_key.clone())
                    .push_bind(r.content_sha256.clone())
                    .push_bind(r.account.clone())
                    .push_bind(r.statement_id.clone())
                    .push_bind(r.format.clone())
                    .push_bind(r.booking_date.to_string())
                    .push_bind(r.value_date.map(|d| d.to_string()))
                    .push_bind(r.amount.minor())
                    .push_bind(r.amount.currency().code().to_owned())
                    .push_bind(r.counterparty_name.clone())
                    .push_bind(r.counterparty_iban.clone())
                    .push_bind(r.counterparty_bic.clone())
                    .push_bind(r.reference_scheme.clone())
                    .push_bind(r.reference.clone())
                    .push_bind(r.remittance.clone())
                    .push_bind(r.end_to_end_id.clone())
                    .push_bind(r.bank_reference.clone())
                    .push_bind(r.transaction_code.clone())
                    .push_bind(i64::from(r.reversal))
                    .push_bind(r.return_reason.clone())
                    .push_bind(r.status.as_str())
                    .push_bind(r.payment_id.map(|p| p.0))
                    .push_bind(r.reverses_payment_id.map(|p| p.0))
                    .push_bind(r.proposals.clone())
                    .push_bind(r.decided_by.clone())
                    .push_bind(r.decided_by.as_ref().map(|_| at))
                    .push_bind(at);
            });
            qb.build().execute(self.conn()).await.map_err(|e| {
                StoreError::from_unique(e, "bank_entry", chunk.first().map_or("", |r| &r.entry_key))
            })?;
        }
        Ok(())
    }

    /// Bank entries, newest first, optionally of one status.
    ///
    /// # Errors
    /// [`StoreError::Database`] or [`StoreError::Corrupt`].
    pub async fn list_bank_entries(
        &mut self,
        org: OrganisationId,
        status: Option<BankEntryStatus>,
        page: Page,
    ) -> Result<Vec<StoredBankEntry>, StoreError> {
        let mut qb = QueryBuilder::<DB>::new(format!(
            "SELECT {BANK_ENTRY_COLUMNS} FROM bank_entries WHERE organisation_id = "
        ));
        qb.push_bind(org.0);
        if let Some(s) = status {
            qb.push(" AND status = ").push_bind(s.as_str());
        }
        if let Some(after) = page.after {
            qb.push(" AND id > ").push_bind(after);
        }
        qb.push(" ORDER BY id LIMIT ").push_bind(i64::from(page.limit));
        let rows = qb.build().fetch_all(self.conn()).await?;
        rows.iter().map(decode_bank_entry).collect()
    }

    /// # Errors
    /// [`StoreError::NotFound`], [`StoreError::Database`] or [`StoreError::Corrupt`].
    pub async fn get_bank_entry(
        &mut self,
        org: OrganisationId,
        id: i64,
    ) -> Result<StoredBankEntry, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {BANK_ENTRY_COLUMNS} FROM bank_entries WHERE organisation_id = $1 AND id = $2"
        )))
        .bind(org.0)
        .bind(id)
        .fetch_optional(self.conn())
        .await?;
        match row {
            Some(r) => decode_bank_entry(&r),
            None => Err(StoreError::NotFound { entity: "bank_entry", key: id.to_string() }),
        }
    }

    /// Records a person's (or the matcher's) decision on an entry that is still in `from`.
    /// Returns false when the entry was no longer in that status (decided meanwhile).
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn decide_bank_entry(
        &mut self,
        org: OrganisationId,
        id: i64,
        from: BankEntryStatus,
        to: BankEntryStatus,
        payment: Option<PaymentId>,
        decided_by: &str,
        at: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE bank_entries SET status = $4, payment_id = COALESCE($5, payment_id), \
             decided_by = $6, decided_at = $7 \
             WHERE organisation_id = $1 AND id = $2 AND status = $3",
        )
        .bind(org.0)
        .bind(id)
        .bind(from.as_str())
        .bind(to.as_str())
        .bind(payment.map(|p| p.0))
        .bind(decided_by.to_owned())
        .bind(at)
        .execute(self.conn())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Every invoice (not credit note) with money open now, for the matcher's book.
    ///
    /// # Errors
    /// [`StoreError::Database`] or [`StoreError::Corrupt`].
    pub async fn open_book_items(
        &mut self,
        org: OrganisationId,
    ) -> Result<Vec<BookItemRow>, StoreError> {
        use futures_util::TryStreamExt;
        // Streamed, not collected: each row is decoded and dropped while the next is read, so
        // a million rows reuse the same few buffers instead of touching fresh memory for each.
        let mut rows = sqlx::query(
            "SELECT id, debtor_id, number, payment_reference, open_minor, currency, due_date \
             FROM invoices WHERE organisation_id = $1 AND open_minor > 0",
        )
        .bind(org.0)
        .fetch(self.conn());
        let mut out = Vec::new();
        while let Some(r) = rows.try_next().await? {
            out.push(BookItemRow {
                id: InvoiceId(r.try_get("id")?),
                debtor_id: DebtorId(r.try_get("debtor_id")?),
                number: r.try_get("number")?,
                payment_reference: opt_text(&r, "payment_reference")?,
                open_minor: r.try_get("open_minor")?,
                currency: currency(&r, "invoices", "currency")?,
                due_date: date(&r, "invoices", "due_date")?,
            });
        }
        Ok(out)
    }

    /// The invoices with money open now that a batch of bank entries can point to: those with
    /// one of `references`, one of `numbers`, or of one of `debtors`. Each once.
    ///
    /// # Errors
    /// [`StoreError::Database`] or [`StoreError::Corrupt`].
    pub async fn open_book_items_for(
        &mut self,
        org: OrganisationId,
        references: &[&str],
        numbers: &[&str],
        debtors: &[DebtorId],
    ) -> Result<Vec<BookItemRow>, StoreError> {
        const SELECT: &str = "SELECT id, debtor_id, number, payment_reference, open_minor, \
             currency, due_date FROM invoices WHERE open_minor > 0 AND organisation_id = ";
        let mut out: Vec<BookItemRow> = Vec::new();
        let mut seen: std::collections::HashSet<i64> = std::collections::HashSet::new();
        let mut take = |rows: Vec<DbRow>, out: &mut Vec<BookItemRow>| -> Result<(), StoreError> {
            for r in &rows {
                let id: i64 = r.try_get("id")?;
                if !seen.insert(id) {
                    continue;
                }
                out.push(BookItemRow {
                    id: InvoiceId(id),
                    debtor_id: DebtorId(r.try_get("debtor_id")?),
                    number: r.try_get("number")?,
                    payment_reference: opt_text(r, "payment_reference")?,
                    open_minor: r.try_get("open_minor")?,
                    currency: currency(r, "invoices", "currency")?,
                    due_date: date(r, "invoices", "due_date")?,
                });
            }
            Ok(())
        };
        for chunk in references.chunks(BATCH_ROWS_MAX) {
            let mut qb = QueryBuilder::<DB>::new(SELECT);
            qb.push_bind(org.0);
            push_in(&mut qb, "payment_reference", chunk.iter().map(|s| (*s).to_owned()));
            take(qb.build().fetch_all(self.conn()).await?, &mut out)?;
        }
        for chunk in numbers.chunks(BATCH_ROWS_MAX) {
            let mut qb = QueryBuilder::<DB>::new(SELECT);
            qb.push_bind(org.0);
            push_in(&mut qb, "number", chunk.iter().map(|s| (*s).to_owned()));
            take(qb.build().fetch_all(self.conn()).await?, &mut out)?;
        }
        for chunk in debtors.chunks(BATCH_ROWS_MAX) {
            let mut qb = QueryBuilder::<DB>::new(SELECT);
            qb.push_bind(org.0);
            push_in(&mut qb, "debtor_id", chunk.iter().map(|d| d.0));
            take(qb.build().fetch_all(self.conn()).await?, &mut out)?;
        }
        Ok(out)
    }

    /// Every debtor's name and known IBANs, for the matcher's book.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn debtor_match_facts(
        &mut self,
        org: OrganisationId,
    ) -> Result<Vec<(DebtorId, String, Vec<String>)>, StoreError> {
        let rows =
            sqlx::query("SELECT id, name FROM debtors WHERE organisation_id = $1 ORDER BY id")
                .bind(org.0)
                .fetch_all(self.conn())
                .await?;
        let mut out: Vec<(DebtorId, String, Vec<String>)> = Vec::with_capacity(rows.len());
        let mut index: HashMap<i64, usize> = HashMap::with_capacity(rows.len());
        for r in &rows {
            let id: i64 = r.try_get("id")?;
            index.insert(id, out.len());
            out.push((DebtorId(id), r.try_get("name")?, Vec::new()));
        }
        let ibans =
            sqlx::query("SELECT debtor_id, iban FROM debtor_ibans WHERE organisation_id = $1")
                .bind(org.0)
                .fetch_all(self.conn())
                .await?;
        for r in &ibans {
            let id: i64 = r.try_get("debtor_id")?;
            if let Some(entry) = index.get(&id).and_then(|&i| out.get_mut(i)) {
                entry.2.push(r.try_get("iban")?);
            }
        }
        Ok(out)
    }

    /// The payment a debit most likely reverses: a credit of the same amount from the same
    /// account (or with the same end-to-end id) booked on or after `since`, allocated or not,
    /// not reversed yet; the same end-to-end id first, then the newest.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn find_reversed_payment(
        &mut self,
        org: OrganisationId,
        amount_minor: i64,
        counterparty_iban: Option<&str>,
        end_to_end_id: Option<&str>,
        since: Date,
    ) -> Result<Option<(PaymentId, i64)>, StoreError> {
        if counterparty_iban.is_none() && end_to_end_id.is_none() {
            return Ok(None);
        }
        let row = sqlx::query(
            "SELECT e.payment_id, e.id FROM bank_entries e JOIN payments p \
             ON p.organisation_id = e.organisation_id AND p.id = e.payment_id \
             WHERE e.organisation_id = $1 AND e.amount_minor = $2 AND e.payment_id IS NOT NULL \
             AND p.reversed_by IS NULL AND e.booking_date >= $5 \
             AND (e.counterparty_iban = $3 OR e.end_to_end_id = $4) \
             ORDER BY CASE WHEN e.end_to_end_id = $4 THEN 0 ELSE 1 END, e.booking_date DESC, e.id DESC \
             LIMIT 1",
        )
        .bind(org.0)
        .bind(amount_minor)
        .bind(counterparty_iban.map(str::to_owned))
        .bind(end_to_end_id.map(str::to_owned))
        .bind(since.to_string())
        .fetch_optional(self.conn())
        .await?;
        match row {
            Some(r) => Ok(Some((PaymentId(r.try_get("payment_id")?), r.try_get("id")?))),
            None => Ok(None),
        }
    }

    /// Marks a payment as reversed by a bank entry.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn mark_payment_reversed(
        &mut self,
        org: OrganisationId,
        payment: PaymentId,
        by_entry: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE payments SET reversed_by = $3 WHERE organisation_id = $1 AND id = $2 \
             AND reversed_by IS NULL",
        )
        .bind(org.0)
        .bind(payment.0)
        .bind(by_entry)
        .execute(self.conn())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Debtors with this VAT or enterprise number (either may be absent), else with exactly this
    /// name (case-insensitive): how an e-invoice's buyer is recognised.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn find_debtors_by_identity(
        &mut self,
        org: OrganisationId,
        vat_number: Option<&str>,
        enterprise_number: Option<&str>,
        name: &str,
    ) -> Result<Vec<DebtorId>, StoreError> {
        if vat_number.is_some() || enterprise_number.is_some() {
            let rows = sqlx::query(
                "SELECT id FROM debtors WHERE organisation_id = $1 \
                 AND (vat_number = $2 OR enterprise_number = $3) ORDER BY id",
            )
            .bind(org.0)
            .bind(vat_number.map(str::to_owned))
            .bind(enterprise_number.map(str::to_owned))
            .fetch_all(self.conn())
            .await?;
            if !rows.is_empty() {
                return rows.iter().map(|r| Ok(DebtorId(r.try_get("id")?))).collect();
            }
        }
        let rows = sqlx::query(
            "SELECT id FROM debtors WHERE organisation_id = $1 AND LOWER(name) = LOWER($2) ORDER BY id",
        )
        .bind(org.0)
        .bind(name.trim().to_owned())
        .fetch_all(self.conn())
        .await?;
        rows.iter().map(|r| Ok(DebtorId(r.try_get("id")?))).collect()
    }

    /// Saves an organisation's CSV column mapping under `name` (replacing an earlier one).
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn put_statement_mapping(
        &mut self,
        org: OrganisationId,
        m: &StoredMapping,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO statement_mappings (organisation_id, name, definition, updated_at, \
             updated_by) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (organisation_id, name) DO \
             UPDATE SET definition = excluded.definition, updated_at = excluded.updated_at, \
             updated_by = excluded.updated_by",
        )
        .bind(org.0)
        .bind(&m.name)
        .bind(&m.definition)
        .bind(m.updated_at)
        .bind(&m.updated_by)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// One saved mapping by name.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn find_statement_mapping(
        &mut self,
        org: OrganisationId,
        name: &str,
    ) -> Result<Option<StoredMapping>, StoreError> {
        let row = sqlx::query(
            "SELECT name, definition, updated_at, updated_by FROM statement_mappings \
             WHERE organisation_id = $1 AND name = $2",
        )
        .bind(org.0)
        .bind(name)
        .fetch_optional(self.conn())
        .await?;
        row.as_ref().map(decode_mapping).transpose()
    }

    /// Every saved mapping of an organisation, by name.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn list_statement_mappings(
        &mut self,
        org: OrganisationId,
    ) -> Result<Vec<StoredMapping>, StoreError> {
        let rows = sqlx::query(
            "SELECT name, definition, updated_at, updated_by FROM statement_mappings \
             WHERE organisation_id = $1 ORDER BY name",
        )
        .bind(org.0)
        .fetch_all(self.conn())
        .await?;
        rows.iter().map(decode_mapping).collect()
    }

    /// Removes a saved mapping; false when there was none.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn delete_statement_mapping(
        &mut self,
        org: OrganisationId,
        name: &str,
    ) -> Result<bool, StoreError> {
        let done =
            sqlx::query("DELETE FROM statement_mappings WHERE organisation_id = $1 AND name = $2")
                .bind(org.0)
                .bind(name)
                .execute(self.conn())
                .await?;
        Ok(done.rows_affected() == 1)
    }
}

fn decode_mapping(row: &DbRow) -> Result<StoredMapping, StoreError> {
    Ok(StoredMapping {
        name: row.try_get("name")?,
        definition: row.try_get("definition")?,
        updated_at: row.try_get("updated_at")?,
        updated_by: row.try_get("updated_by")?,
    })
}
