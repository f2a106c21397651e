// People who sign in, their roles and sessions, written once for both backends (see common.rs,
// which this file follows in the same module).

impl Tx {
    /// Stores a new person; `email` must be in lower case.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] (`user`) when the address is taken.
    pub async fn insert_user(&mut self, u: &NewUser, at: i64) -> Result<UserId, StoreError> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO users (email, name, password_hash, language, disabled, created_at, \
             updated_at) VALUES ($1, $2, $3, $4, 0, $5, $5) RETURNING id",
        )
        .bind(&u.email)
        .bind(&u.name)
        .bind(&u.password_hash)
        .bind(&u.language)
        .bind(at)
        .fetch_one(self.conn())
        .await
        .map_err(|e| StoreError::from_unique(e, "user", &u.email))?;
        Ok(UserId(id))
    }

    /// A person by e-mail address (lower case).
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn find_user_by_email(&mut self, email: &str) -> Result<Option<StoredUser>, StoreError> {
        let row = sqlx::query(
            "SELECT id, email, name, password_hash, language, disabled FROM users WHERE email = $1",
        )
        .bind(email)
        .fetch_optional(self.conn())
        .await?;
        row.as_ref().map(decode_user).transpose()
    }

    /// A person by id.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn find_user(&mut self, id: UserId) -> Result<Option<StoredUser>, StoreError> {
        let row = sqlx::query(
            "SELECT id, email, name, password_hash, language, disabled FROM users WHERE id = $1",
        )
        .bind(id.0)
        .fetch_optional(self.conn())
        .await?;
        row.as_ref().map(decode_user).transpose()
    }

    /// Gives a person a role in an organisation (replacing an earlier role there).
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn put_membership(
        &mut self,
        user: UserId,
        org: OrganisationId,
        role: &str,
        at: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO memberships (user_id, organisation_id, role, created_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (user_id, organisation_id) DO UPDATE SET \
             role = excluded.role",
        )
        .bind(user.0)
        .bind(org.0)
        .bind(role)
        .bind(at)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// The organisations a person belongs to, with the role in each, by organisation name.
    ///
    /// # Errors
    /// [`StoreError::Database`] or [`StoreError::Corrupt`].
    pub async fn list_memberships(&mut self, user: UserId) -> Result<Vec<Membership>, StoreError> {
        let rows = sqlx::query(
            "SELECT m.organisation_id, o.slug, o.name, m.role FROM memberships m \
             JOIN organisations o ON o.id = m.organisation_id WHERE m.user_id = $1 \
             ORDER BY o.name, o.id",
        )
        .bind(user.0)
        .fetch_all(self.conn())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Membership {
                    organisation_id: OrganisationId(r.try_get("organisation_id")?),
                    slug: r.try_get("slug")?,
                    name: r.try_get("name")?,
                    role: r.try_get("role")?,
                })
            })
            .collect()
    }

    /// The people with a role in `org`, by name and e-mail address.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn list_organisation_members(
        &mut self,
        org: OrganisationId,
    ) -> Result<Vec<OrganisationMember>, StoreError> {
        let rows = sqlx::query(
            "SELECT u.id, u.email, u.name, u.language, u.disabled, m.role, m.created_at \
             FROM memberships m JOIN users u ON u.id = m.user_id \
             WHERE m.organisation_id = $1 ORDER BY u.name, u.email",
        )
        .bind(org.0)
        .fetch_all(self.conn())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(OrganisationMember {
                    user_id: UserId(r.try_get("id")?),
                    email: r.try_get("email")?,
                    name: r.try_get("name")?,
                    language: r.try_get("language")?,
                    disabled: r.try_get::<i64, _>("disabled")? != 0,
                    role: r.try_get("role")?,
                    since: r.try_get("created_at")?,
                })
            })
            .collect()
    }

    /// Takes a person's role in `org` away; false when there was none.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn delete_membership(
        &mut self,
        user: UserId,
        org: OrganisationId,
    ) -> Result<bool, StoreError> {
        let done =
            sqlx::query("DELETE FROM memberships WHERE organisation_id = $1 AND user_id = $2")
                .bind(org.0)
                .bind(user.0)
                .execute(self.conn())
                .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Locks the organisation's row until the transaction ends (a no-op write: on PostgreSQL
    /// a row lock, on SQLite the single writer holds every lock already).
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when there is no such organisation.
    pub async fn lock_organisation(&mut self, org: OrganisationId) -> Result<(), StoreError> {
        let done = sqlx::query("UPDATE organisations SET updated_at = updated_at WHERE id = $1")
            .bind(org.0)
            .execute(self.conn())
            .await?;
        if done.rows_affected() == 1 {
            Ok(())
        } else {
            Err(StoreError::NotFound { entity: "organisation", key: org.0.to_string() })
        }
    }

    /// Every API token of `org` (never their secrets), by id.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn list_api_tokens(
        &mut self,
        org: OrganisationId,
    ) -> Result<Vec<StoredToken>, StoreError> {
        let rows = sqlx::query(
            "SELECT organisation_id, id, name, created_at, revoked_at, created_by FROM api_tokens \
             WHERE organisation_id = $1 ORDER BY id",
        )
        .bind(org.0)
        .fetch_all(self.conn())
        .await?;
        rows.iter().map(decode_token).collect()
    }

    /// Revokes a live token of `org`; false when there is no such live token.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn revoke_api_token(
        &mut self,
        org: OrganisationId,
        id: TokenId,
        at: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $3 \
             WHERE organisation_id = $1 AND id = $2 AND revoked_at IS NULL",
        )
        .bind(org.0)
        .bind(id.0)
        .bind(at)
        .execute(self.conn())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The newest audit entries first that match `filter`, one page.
    ///
    /// # Errors
    /// [`StoreError::Database`] or [`StoreError::Corrupt`].
    pub async fn search_audit(
        &mut self,
        org: OrganisationId,
        filter: &AuditFilter,
        page: Page,
    ) -> Result<Vec<(i64, AuditEntry)>, StoreError> {
        let mut qb = QueryBuilder::<DB>::new(
            "SELECT id, at, actor, action, entity, entity_key, details FROM audit_log \
             WHERE organisation_id = ",
        );
        qb.push_bind(org.0);
        if let Some(after) = page.after {
            qb.push(" AND id < ").push_bind(after);
        }
        if let Some(actor) = &filter.actor {
            qb.push(" AND actor = ").push_bind(actor.clone());
        }
        if let Some(text) = filter.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            // LIKE with its wildcards escaped; LOWER on both sides so both backends ignore case.
            let mut pattern = String::from("%");
            for c in text.to_lowercase().chars() {
                if matches!(c, '%' | '_' | '\\') {
                    pattern.push('\\');
                }
                pattern.push(c);
            }
            pattern.push('%');
            qb.push(" AND (LOWER(action) LIKE ").push_bind(pattern.clone());
            qb.push(" ESCAPE '\\' OR LOWER(entity) LIKE ").push_bind(pattern.clone());
            qb.push(" ESCAPE '\\' OR LOWER(entity_key) LIKE ").push_bind(pattern);
            qb.push(" ESCAPE '\\')");
        }
        qb.push(" ORDER BY id DESC LIMIT ").push_bind(i64::from(page.limit));
        let rows = qb.build().fetch_all(self.conn()).await?;
        rows.iter()
            .map(|r| {
                let details: String = r.try_get("details")?;
                Ok((
                    r.try_get("id")?,
                    AuditEntry {
                        at: r.try_get("at")?,
                        actor: r.try_get("actor")?,
                        action: r.try_get("action")?,
                        entity: r.try_get("entity")?,
                        entity_key: r.try_get("entity_key")?,
                        details: serde_json::from_str(&details)
                            .map_err(|_| corrupt("audit_log", "details", &details))?,
                    },
                ))
            })
            .collect()
    }

    /// Stores a session.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn insert_session(&mut self, s: &StoredSession) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO sessions (token_sha256, user_id, organisation_id, csrf, created_at, \
             expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&s.token_sha256)
        .bind(s.user_id.0)
        .bind(s.organisation_id.map(|o| o.0))
        .bind(&s.csrf)
        .bind(s.created_at)
        .bind(s.expires_at)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// A session that has not expired at `now`.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn find_session(
        &mut self,
        token_sha256: &str,
        now: i64,
    ) -> Result<Option<StoredSession>, StoreError> {
        let row = sqlx::query(
            "SELECT token_sha256, user_id, organisation_id, csrf, created_at, expires_at \
             FROM sessions WHERE token_sha256 = $1 AND expires_at > $2",
        )
        .bind(token_sha256)
        .bind(now)
        .fetch_optional(self.conn())
        .await?;
        row.as_ref()
            .map(|r| {
                Ok(StoredSession {
                    token_sha256: r.try_get("token_sha256")?,
                    user_id: UserId(r.try_get("user_id")?),
                    organisation_id: r
                        .try_get::<Option<i64>, _>("organisation_id")?
                        .map(OrganisationId),
                    csrf: r.try_get("csrf")?,
                    created_at: r.try_get("created_at")?,
                    expires_at: r.try_get("expires_at")?,
                })
            })
            .transpose()
    }

    /// Points a session at another organisation.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn set_session_organisation(
        &mut self,
        token_sha256: &str,
        org: OrganisationId,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE sessions SET organisation_id = $2 WHERE token_sha256 = $1")
            .bind(token_sha256)
            .bind(org.0)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// Ends a session; false when there was none. Expired sessions go at the same time.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn delete_session(&mut self, token_sha256: &str, now: i64) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM sessions WHERE token_sha256 = $1")
            .bind(token_sha256)
            .execute(self.conn())
            .await?;
        sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(now)
            .execute(self.conn())
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Notes a failed sign-in for `email` and returns how many failed since `since`; failures
    /// older than `since` are forgotten.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn record_login_failure(
        &mut self,
        email: &str,
        at: i64,
        since: i64,
    ) -> Result<u64, StoreError> {
        sqlx::query("DELETE FROM login_failures WHERE at <= $1")
            .bind(since)
            .execute(self.conn())
            .await?;
        sqlx::query("INSERT INTO login_failures (email, at) VALUES ($1, $2)")
            .bind(email)
            .bind(at)
            .execute(self.conn())
            .await?;
        self.login_failures_since(email, since).await
    }

    /// Failed sign-ins for `email` after `since`.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn login_failures_since(&mut self, email: &str, since: i64) -> Result<u64, StoreError> {
        let n: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM login_failures WHERE email = $1 AND at > $2")
                .bind(email)
                .bind(since)
                .fetch_one(self.conn())
                .await?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// Forgets the failed sign-ins of `email` (after a successful one).
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn clear_login_failures(&mut self, email: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM login_failures WHERE email = $1")
            .bind(email)
            .execute(self.conn())
            .await?;
        Ok(())
    }
}

fn decode_user(row: &DbRow) -> Result<StoredUser, StoreError> {
    Ok(StoredUser {
        id: UserId(row.try_get("id")?),
        email: row.try_get("email")?,
        name: row.try_get("name")?,
        password_hash: row.try_get("password_hash")?,
        language: row.try_get("language")?,
        disabled: row.try_get::<i64, _>("disabled")? != 0,
    })
}

fn decode_token(r: &DbRow) -> Result<StoredToken, StoreError> {
    Ok(StoredToken {
        organisation_id: OrganisationId(r.try_get("organisation_id")?),
        id: TokenId(r.try_get("id")?),
        name: r.try_get("name")?,
        created_at: r.try_get("created_at")?,
        revoked_at: r.try_get("revoked_at")?,
        created_by: r.try_get("created_by")?,
    })
}
