//! An organisation's saved column mappings for its banks' CSV statement exports.
//!
//! A bank's CSV layout is described once ([`CsvMapping`]), checked, and saved under a short name;
//! every later file of that bank is imported with `--mapping NAME` (CLI) or `?mapping=NAME`
//! (API). A name is looked up among the organisation's own mappings first, then among the
//! built-in ones (`ing-nl`, `rabobank-nl`), whose names cannot be taken.

pub use arflow_formats::statement::csv_mapped::CsvMapping;
use arflow_formats::statement::csv_mapped::{self, BUILTIN_NAMES};
use arflow_store::{AuditEntry, StoreTx, StoredMapping, StoredOrganisation};
use serde::Serialize;

use crate::{Actor, App, AppError};

/// Longest mapping name, in characters.
const NAME_CHARS_MAX: usize = 64;

/// A mapping as shown and returned: saved by the organisation, or built in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MappingView {
    pub name: String,
    pub builtin: bool,
    pub mapping: CsvMapping,
    /// Microseconds since the Unix epoch; absent for a built-in mapping.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_by: Option<String>,
}

/// Checks a mapping name: 1 to 64 of `a-z 0-9 . _ -`, starting with a letter or digit.
///
/// # Errors
/// [`AppError::Invalid`] on `name`.
pub fn check_name(name: &str) -> Result<(), AppError> {
    let ok = !name.is_empty()
        && name.chars().count() <= NAME_CHARS_MAX
        && name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(AppError::invalid(
            "name",
            format!(
                "'{name}' cannot name a mapping: use 1 to {NAME_CHARS_MAX} of a-z, 0-9, '.', '_' \
                 and '-', starting with a letter or digit"
            ),
        ))
    }
}

fn view(stored: StoredMapping) -> Result<MappingView, AppError> {
    let mapping: CsvMapping = serde_json::from_str(&stored.definition).map_err(|e| {
        AppError::Store(arflow_store::StoreError::Corrupt {
            table: "statement_mappings",
            column: "definition",
            value: format!("mapping '{}': {e}", stored.name),
        })
    })?;
    Ok(MappingView {
        name: stored.name,
        builtin: false,
        mapping,
        updated_at: Some(stored.updated_at),
        updated_by: Some(stored.updated_by),
    })
}

fn builtin_view(name: &str) -> Option<MappingView> {
    csv_mapped::builtin(name).map(|mapping| MappingView {
        name: name.to_owned(),
        builtin: true,
        mapping,
        updated_at: None,
        updated_by: None,
    })
}

/// The mapping called `name`: the organisation's own, else a built-in one.
pub(crate) async fn resolve_in(
    tx: &mut StoreTx,
    org: &StoredOrganisation,
    name: &str,
) -> Result<MappingView, AppError> {
    if let Some(stored) = tx.find_statement_mapping(org.id, name).await? {
        return view(stored);
    }
    builtin_view(name).ok_or_else(|| AppError::NotFound { entity: "mapping", key: name.to_owned() })
}

impl App {
    /// The organisation's saved mappings, then the built-in ones, each by name.
    ///
    /// # Errors
    /// [`AppError::Store`].
    pub async fn statement_mappings(
        &self,
        org: &StoredOrganisation,
    ) -> Result<Vec<MappingView>, AppError> {
        let mut tx = self.store.read().await?;
        let stored = tx.list_statement_mappings(org.id).await?;
        tx.rollback().await?;
        let mut out = stored.into_iter().map(view).collect::<Result<Vec<_>, _>>()?;
        out.extend(BUILTIN_NAMES.iter().filter_map(|n| builtin_view(n)));
        Ok(out)
    }

    /// The mapping called `name`: the organisation's own, else a built-in one.
    ///
    /// # Errors
    /// [`AppError::NotFound`] (`mapping_not_found`).
    pub async fn statement_mapping(
        &self,
        org: &StoredOrganisation,
        name: &str,
    ) -> Result<MappingView, AppError> {
        let mut tx = self.store.read().await?;
        let found = resolve_in(&mut tx, org, name).await;
        tx.rollback().await?;
        found
    }

    /// Checks `mapping` and saves it under `name`, replacing an earlier one; audited with
    /// whether it was new.
    ///
    /// # Errors
    /// [`AppError::Invalid`] for a bad or built-in name; [`AppError::Rejected`] with every
    /// problem of the mapping as `field: reason`.
    pub async fn put_statement_mapping(
        &self,
        org: &StoredOrganisation,
        name: &str,
        mapping: CsvMapping,
        actor: &Actor,
    ) -> Result<MappingView, AppError> {
        check_name(name)?;
        if BUILTIN_NAMES.contains(&name) {
            return Err(AppError::invalid(
                "name",
                format!("'{name}' is a built-in mapping; save yours under another name"),
            ));
        }
        let problems = csv_mapped::validate(&mapping);
        if !problems.is_empty() {
            return Err(AppError::Rejected(
                problems.into_iter().map(|(field, reason)| format!("{field}: {reason}")).collect(),
            ));
        }
        let definition = serde_json::to_string(&mapping)
            .map_err(|e| AppError::invalid("mapping", e.to_string()))?;
        let now = self.now();
        let stored = StoredMapping {
            name: name.to_owned(),
            definition,
            updated_at: now,
            updated_by: actor.0.clone(),
        };
        let mut tx = self.store.begin_write().await?;
        let earlier = tx.find_statement_mapping(org.id, name).await?;
        let action = if earlier.is_some() { "mapping.update" } else { "mapping.create" };
        if let Some(same) = earlier.filter(|e| e.definition == stored.definition) {
            // The same mapping again changes nothing.
            tx.rollback().await?;
            return view(same);
        }
        tx.put_statement_mapping(org.id, &stored).await?;
        tx.insert_audit(org.id, &[audit(now, actor, action, name, Some(&mapping))]).await?;
        tx.commit().await?;
        view(stored)
    }

    /// Removes a saved mapping.
    ///
    /// # Errors
    /// [`AppError::NotFound`] when the organisation has none by that name (a built-in one
    /// cannot be removed).
    pub async fn delete_statement_mapping(
        &self,
        org: &StoredOrganisation,
        name: &str,
        actor: &Actor,
    ) -> Result<(), AppError> {
        let now = self.now();
        let mut tx = self.store.begin_write().await?;
        if !tx.delete_statement_mapping(org.id, name).await? {
            return Err(AppError::NotFound { entity: "mapping", key: name.to_owned() });
        }
        tx.insert_audit(org.id, &[audit(now, actor, "mapping.delete", name, None)]).await?;
        tx.commit().await?;
        Ok(())
    }
}

fn audit(
    at: i64,
    actor: &Actor,
    action: &str,
    name: &str,
    mapping: Option<&CsvMapping>,
) -> AuditEntry {
    AuditEntry {
        at,
        actor: actor.0.clone(),
        action: action.into(),
        entity: "mapping".into(),
        entity_key: name.to_owned(),
        details: mapping.map_or(serde_json::json!({}), |m| serde_json::json!({ "mapping": m })),
    }
}
