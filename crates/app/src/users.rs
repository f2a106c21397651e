//! People who sign in to the web application: accounts, roles per organisation, sessions.
//!
//! Passwords are stored as Argon2id PHC strings (RFC 9106; the default parameters m = 19 MiB,
//! t = 2, p = 1 that OWASP's password storage cheat sheet lists). A session is 256 random bits
//! in an `HttpOnly` cookie, of which only the SHA-256 is stored, with its own CSRF token. Five
//! failed sign-ins for an address within fifteen minutes stop further attempts for that address
//! until the window has passed; an unknown address costs the same time as a wrong password.

use std::str::FromStr;

use arflow_core::id::{OrganisationId, UserId};
use arflow_store::{
    AuditEntry, Membership, NewUser, OrganisationMember, StoreTx, StoredSession, StoredUser,
};
use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use serde::Serialize;

use crate::{Actor, App, AppError, sha256_hex};

/// How long a session lasts, in microseconds (12 hours: one working day).
pub const SESSION_MICROS: i64 = 12 * 3600 * 1_000_000;
/// Failed sign-ins for one address within [`THROTTLE_WINDOW_MICROS`] before sign-in is refused.
pub const FAILURES_MAX: u64 = 5;
/// The throttling window: 15 minutes.
pub const THROTTLE_WINDOW_MICROS: i64 = 15 * 60 * 1_000_000;
/// Shortest password accepted, in characters.
pub const PASSWORD_CHARS_MIN: usize = 10;

/// The sign-in `serve --demo` creates and prints (demo databases only).
pub const DEMO_LOGIN: (&str, &str) = ("demo@arflow.example", "arflow-demo-2026");

/// A password of 20 letters and digits (about 119 bits), for `arflow user create`.
///
/// # Errors
/// [`AppError::Invalid`] when the system has no randomness to offer.
pub fn generate_password() -> Result<String, AppError> {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 20];
    getrandom::fill(&mut bytes)
        .map_err(|e| AppError::Invalid { field: None, message: format!("no randomness: {e}") })?;
    // 256 is not a multiple of 56: reject the top values so each character is equally likely.
    let mut out = String::with_capacity(20);
    let mut pool = bytes.to_vec();
    while out.len() < 20 {
        for b in pool.drain(..) {
            if usize::from(b) < 256 - 256 % ALPHABET.len() && out.len() < 20 {
                out.push(char::from(ALPHABET[usize::from(b) % ALPHABET.len()]));
            }
        }
        if out.len() < 20 {
            let mut more = [0u8; 20];
            getrandom::fill(&mut more).map_err(|e| AppError::Invalid {
                field: None,
                message: format!("no randomness: {e}"),
            })?;
            pool.extend_from_slice(&more);
        }
    }
    Ok(out)
}

/// What a person may do in an organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything, users and settings included.
    Admin,
    /// Runs the dunning, works the review queues and tasks.
    CreditController,
    /// Reads; notes and tasks on the debtors they own.
    Sales,
    /// Works like a credit controller, usually for several organisations.
    Accountant,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Admin, Role::CreditController, Role::Sales, Role::Accountant];

    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::CreditController => "credit_controller",
            Role::Sales => "sales",
            Role::Accountant => "accountant",
        }
    }

    /// Whether the role may change the ledger, run dunning and decide matches.
    #[must_use]
    pub fn can_operate(self) -> bool {
        !matches!(self, Role::Sales)
    }

    /// Whether the role may manage users, tokens and settings.
    #[must_use]
    pub fn can_administer(self) -> bool {
        matches!(self, Role::Admin)
    }
}

impl FromStr for Role {
    type Err = AppError;

    fn from_str(s: &str) -> Result<Role, AppError> {
        Role::ALL.into_iter().find(|r| r.as_str() == s).ok_or_else(|| {
            AppError::invalid(
                "role",
                format!("'{s}' is not a role: admin, credit_controller, sales or accountant"),
            )
        })
    }
}

/// A person as shown (never with the password hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserView {
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub language: String,
}

impl From<&StoredUser> for UserView {
    fn from(u: &StoredUser) -> UserView {
        UserView {
            id: u.id,
            email: u.email.clone(),
            name: u.name.clone(),
            language: u.language.clone(),
        }
    }
}

/// A signed-in person: who, in which organisation with which role, and every organisation
/// they may switch to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SessionView {
    pub user: UserView,
    /// The organisation worked in, with the role there; `None` for a person without any.
    pub current: Option<Membership>,
    pub memberships: Vec<Membership>,
    /// The token every form of this session sends back.
    #[serde(skip)]
    pub csrf: String,
}

impl SessionView {
    /// The role in the current organisation.
    #[must_use]
    pub fn role(&self) -> Option<Role> {
        self.current.as_ref().and_then(|m| m.role.parse().ok())
    }

    /// The current organisation's id.
    #[must_use]
    pub fn organisation(&self) -> Option<OrganisationId> {
        self.current.as_ref().map(|m| m.organisation_id)
    }
}

/// A new session: the cookie's secret (given to the browser once) and what it opens.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub token: String,
    pub session: SessionView,
}

fn random_hex() -> Result<String, AppError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| AppError::Invalid { field: None, message: format!("no randomness: {e}") })?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// An e-mail address in the form it is stored: trimmed, lower case; checked for one `@` with
/// text on both sides and no blanks.
fn normalise_email(email: &str) -> Result<String, AppError> {
    let email = email.trim().to_lowercase();
    let ok = email.len() <= 254
        && email.split('@').count() == 2
        && email.split('@').all(|p| !p.is_empty())
        && !email.chars().any(char::is_whitespace);
    if ok {
        Ok(email)
    } else {
        Err(AppError::invalid("email", format!("'{email}' is not an e-mail address")))
    }
}

/// The Argon2id PHC string of `password`, with a fresh 16-byte salt.
fn hash_password(password: &str) -> Result<String, AppError> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt)
        .map_err(|e| AppError::Invalid { field: None, message: format!("no randomness: {e}") })?;
    Argon2::default()
        .hash_password_with_salt(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::invalid("password", format!("cannot hash the password: {e}")))
}

fn password_matches(password: &str, phc: &str) -> bool {
    Argon2::default().verify_password(password.as_bytes(), phc).is_ok()
}

/// A valid hash of a password nobody has, verified against when the address is unknown so that
/// a wrong address takes as long as a wrong password.
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password("decoy password that never matches").unwrap_or_default())
}

impl App {
    /// Creates a person with a role in an organisation (`--org`, or the only one).
    ///
    /// # Errors
    /// [`AppError::Invalid`] for a bad address, name, language or a password shorter than
    /// [`PASSWORD_CHARS_MIN`]; [`AppError::Conflict`] (`user_exists`) when the address is taken.
    pub async fn create_user(
        &self,
        org_slug: Option<&str>,
        email: &str,
        name: &str,
        password: &str,
        language: &str,
        role: Role,
        actor: &Actor,
    ) -> Result<UserView, AppError> {
        let email = normalise_email(email)?;
        let name = name.trim();
        if name.is_empty() {
            return Err(AppError::invalid("name", "give the person's name"));
        }
        if !["nl", "fr", "en"].contains(&language) {
            return Err(AppError::invalid("language", format!("'{language}': use nl, fr or en")));
        }
        if password.chars().count() < PASSWORD_CHARS_MIN {
            return Err(AppError::invalid(
                "password",
                format!("use at least {PASSWORD_CHARS_MIN} characters"),
            ));
        }
        let owned = password.to_owned();
        let password_hash = tokio::task::spawn_blocking(move || hash_password(&owned))
            .await
            .map_err(|e| AppError::invalid("password", e.to_string()))??;
        let now = self.now();
        let mut tx = self.store.begin_write().await?;
        let org = crate::orgs::resolve_in(&mut tx, org_slug).await?;
        let new = NewUser {
            email: email.clone(),
            name: name.to_owned(),
            password_hash,
            language: language.to_owned(),
        };
        let id = tx.insert_user(&new, now).await?;
        tx.put_membership(id, org.id, role.as_str(), now).await?;
        tx.insert_audit(
            org.id,
            &[AuditEntry {
                at: now,
                actor: actor.0.clone(),
                action: "user.create".into(),
                entity: "user".into(),
                entity_key: email.clone(),
                details: serde_json::json!({ "name": name, "role": role.as_str() }),
            }],
        )
        .await?;
        tx.commit().await?;
        Ok(UserView { id, email, name: name.to_owned(), language: language.to_owned() })
    }

    /// Gives an existing person a role in an organisation (an accountant's next client), or
    /// changes the role they have there.
    ///
    /// # Errors
    /// [`AppError::NotFound`] for an unknown person or organisation; [`AppError::Invalid`]
    /// (`role`) when it would leave the organisation without an administrator.
    pub async fn grant_role(
        &self,
        org_slug: Option<&str>,
        email: &str,
        role: Role,
        actor: &Actor,
    ) -> Result<(), AppError> {
        let email = normalise_email(email)?;
        let now = self.now();
        let mut tx = self.store.begin_write().await?;
        let org = crate::orgs::resolve_in(&mut tx, org_slug).await?;
        let user = tx
            .find_user_by_email(&email)
            .await?
            .ok_or_else(|| AppError::NotFound { entity: "user", key: email.clone() })?;
        keep_an_admin(&mut tx, org.id, user.id, Some(role)).await?;
        tx.put_membership(user.id, org.id, role.as_str(), now).await?;
        tx.insert_audit(
            org.id,
            &[AuditEntry {
                at: now,
                actor: actor.0.clone(),
                action: "user.role".into(),
                entity: "user".into(),
                entity_key: email,
                details: serde_json::json!({ "role": role.as_str() }),
            }],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The people with a role in the organisation, by name.
    ///
    /// # Errors
    /// [`AppError::NotFound`] for an unknown organisation.
    pub async fn organisation_members(
        &self,
        org_slug: Option<&str>,
    ) -> Result<Vec<OrganisationMember>, AppError> {
        let mut tx = self.store.begin_read().await?;
        let org = crate::orgs::resolve_in(&mut tx, org_slug).await?;
        let list = tx.list_organisation_members(org.id).await?;
        tx.rollback().await?;
        Ok(list)
    }

    /// Adds a person to the organisation: a role for someone who has an account already, or a
    /// new account with a generated password (returned once, in [`AddedMember::password`]).
    ///
    /// # Errors
    /// [`AppError::Invalid`] for a bad address, or a missing name or bad language for a new
    /// person; [`AppError::Conflict`] (`member`) when the person has a role here already.
    pub async fn add_member(
        &self,
        org_slug: Option<&str>,
        email: &str,
        name: &str,
        language: &str,
        role: Role,
        actor: &Actor,
    ) -> Result<AddedMember, AppError> {
        let email = normalise_email(email)?;
        let mut tx = self.store.begin_read().await?;
        let org = crate::orgs::resolve_in(&mut tx, org_slug).await?;
        let existing = tx.find_user_by_email(&email).await?;
        let members = tx.list_organisation_members(org.id).await?;
        tx.rollback().await?;
        let slug = org.organisation.slug.to_string();
        match existing {
            Some(user) => {
                if members.iter().any(|m| m.user_id == user.id) {
                    return Err(AppError::Conflict {
                        entity: "member",
                        key: email,
                        detail: Some("the person has a role here already: change it".into()),
                    });
                }
                self.grant_role(Some(&slug), &email, role, actor).await?;
                Ok(AddedMember { user: UserView::from(&user), role, password: None })
            }
            None => {
                let password = generate_password()?;
                let user = self
                    .create_user(Some(&slug), &email, name, &password, language, role, actor)
                    .await?;
                Ok(AddedMember { user, role, password: Some(password) })
            }
        }
    }

    /// Changes a person's role in the organisation.
    ///
    /// # Errors
    /// [`AppError::NotFound`] (`member`) when the person has no role here;
    /// [`AppError::Invalid`] (`role`) when it would leave the organisation without an
    /// administrator.
    pub async fn change_role(
        &self,
        org_slug: Option<&str>,
        user: UserId,
        role: Role,
        actor: &Actor,
    ) -> Result<OrganisationMember, AppError> {
        let now = self.now();
        let mut tx = self.store.begin_write().await?;
        let org = crate::orgs::resolve_in(&mut tx, org_slug).await?;
        let member = keep_an_admin(&mut tx, org.id, user, Some(role))
            .await?
            .ok_or_else(|| AppError::NotFound { entity: "member", key: user.0.to_string() })?;
        if member.role != role.as_str() {
            tx.put_membership(user, org.id, role.as_str(), now).await?;
            tx.insert_audit(
                org.id,
                &[AuditEntry {
                    at: now,
                    actor: actor.0.clone(),
                    action: "user.role".into(),
                    entity: "user".into(),
                    entity_key: member.email.clone(),
                    details: serde_json::json!({ "role": role.as_str(), "was": member.role }),
                }],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(OrganisationMember { role: role.as_str().to_owned(), ..member })
    }

    /// Takes a person's role in the organisation away (their account stays, with its roles
    /// elsewhere); their sessions lose the organisation at their next request.
    ///
    /// # Errors
    /// [`AppError::NotFound`] (`member`) when the person has no role here;
    /// [`AppError::Invalid`] (`role`) for the last administrator.
    pub async fn remove_member(
        &self,
        org_slug: Option<&str>,
        user: UserId,
        actor: &Actor,
    ) -> Result<OrganisationMember, AppError> {
        let now = self.now();
        let mut tx = self.store.begin_write().await?;
        let org = crate::orgs::resolve_in(&mut tx, org_slug).await?;
        let member = keep_an_admin(&mut tx, org.id, user, None)
            .await?
            .ok_or_else(|| AppError::NotFound { entity: "member", key: user.0.to_string() })?;
        tx.delete_membership(user, org.id).await?;
        tx.insert_audit(
            org.id,
            &[AuditEntry {
                at: now,
                actor: actor.0.clone(),
                action: "user.remove".into(),
                entity: "user".into(),
                entity_key: member.email.clone(),
                details: serde_json::json!({ "was": member.role }),
            }],
        )
        .await?;
        tx.commit().await?;
        Ok(member)
    }

    /// Checks an address and password and opens a session in the person's first organisation.
    ///
    /// # Errors
    /// [`AppError::Unauthorized`] for a wrong address or password or a disabled account (the
    /// same answer for each); [`AppError::TooManyAttempts`] after [`FAILURES_MAX`] failures for
    /// the address within [`THROTTLE_WINDOW_MICROS`].
    pub async fn sign_in(&self, email: &str, password: &str) -> Result<SignedIn, AppError> {
        let email = email.trim().to_lowercase();
        let now = self.now();
        let since = now - THROTTLE_WINDOW_MICROS;
        let mut tx = self.store.read().await?;
        let failures = tx.login_failures_since(&email, since).await?;
        let user = tx.find_user_by_email(&email).await?;
        tx.rollback().await?;
        if failures >= FAILURES_MAX {
            return Err(AppError::TooManyAttempts { retry_after_seconds: 15 * 60 });
        }
        let phc =
            user.as_ref().map_or_else(|| decoy_hash().to_owned(), |u| u.password_hash.clone());
        let owned = password.to_owned();
        let matches = tokio::task::spawn_blocking(move || password_matches(&owned, &phc))
            .await
            .unwrap_or(false);
        let user = match user {
            Some(u) if matches && !u.disabled => u,
            _ => {
                let mut tx = self.store.begin_write().await?;
                tx.record_login_failure(&email, now, since).await?;
                tx.commit().await?;
                return Err(AppError::Unauthorized);
            }
        };
        let token = random_hex()?;
        let mut tx = self.store.begin_write().await?;
        tx.clear_login_failures(&email).await?;
        let memberships = tx.list_memberships(user.id).await?;
        let session = StoredSession {
            token_sha256: sha256_hex(token.as_bytes()),
            user_id: user.id,
            organisation_id: memberships.first().map(|m| m.organisation_id),
            csrf: random_hex()?,
            created_at: now,
            expires_at: now + SESSION_MICROS,
        };
        tx.insert_session(&session).await?;
        tx.commit().await?;
        let current = memberships.first().cloned();
        Ok(SignedIn {
            token,
            session: SessionView {
                user: UserView::from(&user),
                current,
                memberships,
                csrf: session.csrf,
            },
        })
    }

    /// The live session behind a cookie's secret.
    ///
    /// # Errors
    /// [`AppError::Unauthorized`] for an unknown or expired session or a disabled person.
    pub async fn session(&self, token: &str) -> Result<SessionView, AppError> {
        let now = self.now();
        let mut tx = self.store.read().await?;
        let Some(session) = tx.find_session(&sha256_hex(token.as_bytes()), now).await? else {
            tx.rollback().await?;
            return Err(AppError::Unauthorized);
        };
        let user = tx.find_user(session.user_id).await?;
        let memberships = match &user {
            Some(u) => tx.list_memberships(u.id).await?,
            None => Vec::new(),
        };
        tx.rollback().await?;
        let user = user.filter(|u| !u.disabled).ok_or(AppError::Unauthorized)?;
        // A role taken away since sign-in takes the organisation with it.
        let current = session
            .organisation_id
            .and_then(|o| memberships.iter().find(|m| m.organisation_id == o).cloned());
        Ok(SessionView { user: UserView::from(&user), current, memberships, csrf: session.csrf })
    }

    /// Moves a session to another of the person's organisations.
    ///
    /// # Errors
    /// [`AppError::Unauthorized`] for a dead session; [`AppError::NotFound`] when the person has
    /// no role in that organisation (the same answer as for one that does not exist).
    pub async fn switch_organisation(
        &self,
        token: &str,
        slug: &str,
    ) -> Result<SessionView, AppError> {
        let view = self.session(token).await?;
        let target = view
            .memberships
            .iter()
            .find(|m| m.slug == slug)
            .ok_or_else(|| AppError::NotFound { entity: "organisation", key: slug.to_owned() })?;
        let mut tx = self.store.begin_write().await?;
        tx.set_session_organisation(&sha256_hex(token.as_bytes()), target.organisation_id).await?;
        tx.commit().await?;
        self.session(token).await
    }

    /// Ends a session (and sweeps expired ones).
    ///
    /// # Errors
    /// [`AppError::Store`].
    pub async fn sign_out(&self, token: &str) -> Result<(), AppError> {
        let now = self.now();
        let mut tx = self.store.begin_write().await?;
        tx.delete_session(&sha256_hex(token.as_bytes()), now).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// A person added to an organisation; `password` is set (and shown once) for a new account.
#[derive(Debug, Clone)]
pub struct AddedMember {
    pub user: UserView,
    pub role: Role,
    pub password: Option<String>,
}

/// Locks the organisation and checks that giving `user` the role `new_role` (`None`: no role)
/// leaves it at least one administrator; returns the person's current membership, if any.
async fn keep_an_admin(
    tx: &mut StoreTx,
    org: OrganisationId,
    user: UserId,
    new_role: Option<Role>,
) -> Result<Option<OrganisationMember>, AppError> {
    tx.lock_organisation(org).await?;
    let members = tx.list_organisation_members(org).await?;
    let current = members.iter().find(|m| m.user_id == user).cloned();
    let admin = Role::Admin.as_str();
    let admins = members.iter().filter(|m| m.role == admin).count();
    let loses_admin =
        current.as_ref().is_some_and(|m| m.role == admin) && new_role != Some(Role::Admin);
    if loses_admin && admins <= 1 {
        let who = current.as_ref().map_or("", |m| m.email.as_str());
        return Err(AppError::invalid(
            "role",
            format!(
                "{who} is the organisation's last administrator: make another person \
                 administrator first"
            ),
        ));
    }
    Ok(current)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_hash_verifies_only_its_password() {
        let phc = hash_password("correct horse battery").unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(password_matches("correct horse battery", &phc));
        assert!(!password_matches("correct horse batterY", &phc));
        assert_ne!(phc, hash_password("correct horse battery").unwrap(), "a fresh salt each time");
        assert!(!password_matches("x", "not a phc string"));
    }

    #[test]
    fn addresses_are_stored_in_lower_case_and_checked() {
        assert_eq!(normalise_email(" Anna@Example.NL ").unwrap(), "anna@example.nl");
        for bad in ["anna", "anna@", "@example.nl", "an na@example.nl", "a@b@c"] {
            assert!(normalise_email(bad).is_err(), "{bad}");
        }
    }

    #[tokio::test]
    async fn an_organisation_always_keeps_an_administrator() {
        use arflow_core::party::OrgCountry;
        let path = std::env::temp_dir().join(format!("arflow-users-{}.db", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let store =
            arflow_store::Store::connect(&format!("sqlite://{}", path.display())).await.unwrap();
        store.migrate(0).await.unwrap();
        let app = App::new(store, std::sync::Arc::new(crate::SystemClock));
        let actor = Actor("test".into());
        app.create_organisation("acme", "Acme BV", OrgCountry::Nl, &actor).await.unwrap();
        let anna = app
            .create_user(None, "anna@example.nl", "Anna", "0123456789", "nl", Role::Admin, &actor)
            .await
            .unwrap();
        // `arflow user grant` may not demote the last admin either.
        let refused = app.grant_role(None, "anna@example.nl", Role::Sales, &actor).await;
        assert!(matches!(&refused, Err(AppError::Invalid { field: Some(f), .. }) if f == "role"));
        assert!(app.change_role(None, anna.id, Role::Accountant, &actor).await.is_err());
        assert!(app.remove_member(None, anna.id, &actor).await.is_err());
        // A second admin, added with a generated password; then Anna may go.
        let bram = app
            .add_member(None, "Bram@Example.nl", "Bram", "en", Role::Admin, &actor)
            .await
            .unwrap();
        let password = bram.password.unwrap();
        assert_eq!(password.chars().count(), 20);
        assert!(app.sign_in("bram@example.nl", &password).await.is_ok());
        let again = app.add_member(None, "bram@example.nl", "", "", Role::Sales, &actor).await;
        assert!(matches!(again, Err(AppError::Conflict { entity: "member", .. })));
        app.grant_role(None, "anna@example.nl", Role::Sales, &actor).await.unwrap();
        let gone = app.remove_member(None, anna.id, &actor).await.unwrap();
        assert_eq!(gone.role, "sales");
        let left: Vec<String> =
            app.organisation_members(None).await.unwrap().into_iter().map(|m| m.email).collect();
        assert_eq!(left, ["bram@example.nl"]);
        assert!(matches!(
            app.remove_member(None, anna.id, &actor).await,
            Err(AppError::NotFound { entity: "member", .. })
        ));
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
    }

    #[test]
    fn roles_parse_and_say_what_they_may_do() {
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>().unwrap(), r);
        }
        assert!("owner".parse::<Role>().is_err());
        assert!(!Role::Sales.can_operate() && Role::Accountant.can_operate());
        assert!(Role::Admin.can_administer() && !Role::CreditController.can_administer());
    }
}
