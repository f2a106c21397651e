// An organisation's look and its own bank accounts, written once for both backends (see
// common.rs, which this file follows in the same module). The logo is the one binary column:
// BLOB on SQLite, BYTEA on PostgreSQL; sqlx binds a byte vector to either.

impl Tx {
    /// The organisation's branding; the default (none) when it never set one.
    ///
    /// # Errors
    /// [`StoreError::Database`] or [`StoreError::Corrupt`].
    pub async fn branding(
        &mut self,
        org: OrganisationId,
    ) -> Result<arflow_core::brand::Branding, StoreError> {
        let row = sqlx::query(
            "SELECT accent_colour, logo_type, logo FROM organisation_branding \
             WHERE organisation_id = $1",
        )
        .bind(org.0)
        .fetch_optional(self.conn())
        .await?;
        let Some(r) = row else { return Ok(arflow_core::brand::Branding::default()) };
        let kind: Option<String> = r.try_get("logo_type")?;
        let bytes: Option<Vec<u8>> = r.try_get("logo")?;
        let logo = match (kind, bytes) {
            (Some(kind), Some(bytes)) => Some(arflow_core::brand::Logo {
                kind: arflow_core::brand::LogoKind::from_media_type(&kind)
                    .ok_or_else(|| corrupt("organisation_branding", "logo_type", kind))?,
                bytes,
            }),
            _ => None,
        };
        Ok(arflow_core::brand::Branding { accent_colour: r.try_get("accent_colour")?, logo })
    }

    /// Replaces the organisation's branding.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn set_branding(
        &mut self,
        org: OrganisationId,
        branding: &arflow_core::brand::Branding,
        at: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO organisation_branding (organisation_id, accent_colour, logo_type, logo, \
             updated_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (organisation_id) DO UPDATE SET \
             accent_colour = excluded.accent_colour, logo_type = excluded.logo_type, \
             logo = excluded.logo, updated_at = excluded.updated_at",
        )
        .bind(org.0)
        .bind(branding.accent_colour.as_deref())
        .bind(branding.logo.as_ref().map(|l| l.kind.media_type()))
        .bind(branding.logo.as_ref().map(|l| l.bytes.as_slice()))
        .bind(at)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// The organisation's own bank accounts, by IBAN.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn own_accounts(
        &mut self,
        org: OrganisationId,
    ) -> Result<Vec<arflow_core::brand::OwnAccount>, StoreError> {
        let rows = sqlx::query(
            "SELECT iban, bic, label, active FROM organisation_bank_accounts \
             WHERE organisation_id = $1 ORDER BY iban",
        )
        .bind(org.0)
        .fetch_all(self.conn())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(arflow_core::brand::OwnAccount {
                    iban: r.try_get("iban")?,
                    bic: r.try_get("bic")?,
                    label: r.try_get("label")?,
                    active: r.try_get::<i64, _>("active")? != 0,
                })
            })
            .collect()
    }

    /// Adds an own account, or changes its BIC, label and whether it is open.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn put_own_account(
        &mut self,
        org: OrganisationId,
        account: &arflow_core::brand::OwnAccount,
        at: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO organisation_bank_accounts (organisation_id, iban, bic, label, active, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6) \
             ON CONFLICT (organisation_id, iban) DO UPDATE SET bic = excluded.bic, \
             label = excluded.label, active = excluded.active, updated_at = excluded.updated_at",
        )
        .bind(org.0)
        .bind(&account.iban)
        .bind(account.bic.as_deref())
        .bind(&account.label)
        .bind(i64::from(account.active))
        .bind(at)
        .execute(self.conn())
        .await?;
        Ok(())
    }
}
