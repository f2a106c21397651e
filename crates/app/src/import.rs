//! Importing debtors, invoices (credit notes included) and payments.
//!
//! An import is all or nothing: the file is parsed whole, every row is checked against the
//! stored data, and only when no row has an error is anything written, in one transaction.
//! Importing the same file again is a no-op: a row equal to what is stored is `unchanged`; a row
//! that differs for an existing number is a conflict (left as stored and reported) unless the
//! caller asks for `update`. Payments are immutable: one whose identity is stored with other
//! content is always a conflict.

use std::collections::{HashMap, HashSet};

use arflow_core::date::Date;
use arflow_core::id::{AllocationId, DebtorId, InvoiceId, PaymentId};
use arflow_core::ledger::{Invoice, InvoiceKind, Payment};
use arflow_core::money::{Currency, Money, format_minor};
use arflow_core::party::Debtor;
use arflow_core::reconcile::{PlanInvoice, spread_over_plan};
use arflow_core::reference::{self, ReferenceScheme};
use arflow_formats::csv::{self as csvfmt, CsvError, CsvOptions, Parsed};
use arflow_store::{
    AllocationSource, AuditEntry, ImportRecord, NewAllocation, NewInvoice, NewPayment,
    PlanReferenceMatch, StoreTx, StoredDebtor, StoredInvoice, StoredOrganisation,
};
use serde::Serialize;

use crate::{Actor, App, AppError, sha256_hex};

/// Largest file accepted, in bytes.
pub const IMPORT_FILE_BYTES_MAX: usize = 1 << 30;

/// What a payment row pays: an invoice, or the open invoices of a payment plan.
#[derive(Clone, Copy)]
enum PaymentTarget<'a> {
    Invoice(&'a StoredInvoice),
    Plan(&'a PlanReferenceMatch),
}

/// What to do with a row that differs from the stored record with the same number.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportOptions {
    /// Overwrite stored debtors and invoices with the file's values.
    pub update: bool,
}

/// What happened to one row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum RowOutcome {
    Created,
    Updated {
        fields: Vec<&'static str>,
    },
    Unchanged,
    /// The stored record differs in these fields and was left as it is.
    Conflict {
        fields: Vec<&'static str>,
    },
}

/// The result of one import.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportReport {
    pub kind: String,
    pub file: String,
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub conflicts: u64,
    /// `FILE:LINE: column COL: value 'X': reason`, one per problem; non-empty means nothing was
    /// written.
    pub errors: Vec<String>,
    /// One line per conflicting row: `FILE:LINE: number 'N' differs from the stored one in: …`.
    pub conflict_details: Vec<String>,
    /// Payments: allocations made to the invoices they name.
    pub allocated: u64,
    /// Invoices: payment references generated for rows without one.
    pub references_generated: u64,
    /// Per row, in file order (only when the import was applied).
    #[serde(skip)]
    pub outcomes: Vec<(u64, RowOutcome)>,
    /// The line of each entry of `errors`, to list them in file order.
    #[serde(skip)]
    error_lines: Vec<u64>,
}

impl ImportReport {
    /// An empty report for an import of `kind` from `file` (`api` for API requests).
    pub fn new(kind: &str, file: &str) -> ImportReport {
        ImportReport { kind: kind.into(), file: file.into(), ..Default::default() }
    }

    fn count(&mut self, line: u64, number: &str, outcome: RowOutcome) {
        match &outcome {
            RowOutcome::Created => self.created += 1,
            RowOutcome::Updated { .. } => self.updated += 1,
            RowOutcome::Unchanged => self.unchanged += 1,
            RowOutcome::Conflict { fields } => {
                self.conflicts += 1;
                self.conflict_details.push(format!(
                    "{}:{line}: number '{number}' differs from the stored one in: {}; \
                     import with --update to overwrite",
                    self.file,
                    fields.join(", ")
                ));
            }
        }
        self.outcomes.push((line, outcome));
    }

    fn error(&mut self, line: u64, column: &str, value: &str, reason: impl Into<String>) {
        let e =
            CsvError { line, column: column.into(), value: value.into(), reason: reason.into() };
        self.errors.push(e.with_file(&self.file));
        self.error_lines.push(line);
    }

    fn csv_errors(&mut self, errors: Vec<CsvError>) {
        for e in errors {
            self.errors.push(e.with_file(&self.file));
            self.error_lines.push(e.line);
        }
    }

    /// Puts the errors in file order (stable: a line's errors keep their column order).
    fn sort_errors(&mut self) {
        let mut pairs: Vec<(u64, String)> =
            self.error_lines.drain(..).zip(self.errors.drain(..)).collect();
        pairs.sort_by_key(|(line, _)| *line);
        for (line, e) in pairs {
            self.error_lines.push(line);
            self.errors.push(e);
        }
    }

    /// Whether the import was refused (nothing written).
    pub fn rejected(&self) -> bool {
        !self.errors.is_empty()
    }
}

fn csv_options(org: &StoredOrganisation) -> CsvOptions {
    CsvOptions {
        default_currency: org.organisation.currency,
        default_country: org.organisation.country.code(),
        ..CsvOptions::default()
    }
}

/// Fields of two debtors that differ, among those an import manages (not the pause, which is
/// dunning state).
pub fn debtor_differences(stored: &Debtor, new: &Debtor) -> Vec<&'static str> {
    let mut out = Vec::new();
    let mut check = |name: &'static str, same: bool| {
        if !same {
            out.push(name);
        }
    };
    check("name", stored.name == new.name);
    check("kind", stored.kind == new.kind);
    check("country", stored.country == new.country);
    check("language", stored.language == new.language);
    check("email", stored.emails == new.emails);
    check("phone", stored.phones == new.phones);
    check("address", stored.address == new.address);
    check("vat_number", stored.vat_number == new.vat_number);
    check("enterprise_number", stored.enterprise_number == new.enterprise_number);
    check("iban", stored.ibans == new.ibans);
    check("segment", stored.segments == new.segments);
    check("owner", stored.owner == new.owner);
    check("credit_limit", stored.credit_limit == new.credit_limit);
    out
}

/// Fields of two invoices that differ. A new row without a payment reference keeps the stored
/// one (it was generated for it).
pub fn invoice_differences(stored: &Invoice, new: &Invoice) -> Vec<&'static str> {
    let mut out = Vec::new();
    let mut check = |name: &'static str, same: bool| {
        if !same {
            out.push(name);
        }
    };
    check("debtor_number", stored.debtor_number == new.debtor_number);
    check("issue_date", stored.issue_date == new.issue_date);
    check("due_date", stored.due_date == new.due_date);
    check("amount", stored.amount == new.amount);
    check("amount_excl_vat", stored.amount_excl_vat == new.amount_excl_vat);
    check(
        "payment_reference",
        new.payment_reference.is_none() || stored.payment_reference == new.payment_reference,
    );
    check("description", stored.description == new.description);
    check("external_id", stored.external_id == new.external_id);
    check("credits_invoice", stored.credits_invoice == new.credits_invoice);
    out
}

fn audit(
    actor: &Actor,
    at: i64,
    action: &str,
    entity: &str,
    key: &str,
    details: serde_json::Value,
) -> AuditEntry {
    AuditEntry {
        at,
        actor: actor.0.clone(),
        action: action.into(),
        entity: entity.into(),
        entity_key: key.into(),
        details,
    }
}

impl App {
    /// Imports a debtors CSV file into the organisation `org_slug` (or the only one).
    ///
    /// # Errors
    /// Store and organisation errors; problems in the file are in the report.
    pub async fn import_debtors_csv(
        &self,
        org_slug: Option<&str>,
        file: &str,
        bytes: &[u8],
        opts: ImportOptions,
        actor: &Actor,
    ) -> Result<ImportReport, AppError> {
        let org = self.resolve_organisation(org_slug).await?;
        let mut report = ImportReport::new("debtors", file);
        if bytes.len() > IMPORT_FILE_BYTES_MAX {
            report.error(0, "", "", format!("file is larger than {IMPORT_FILE_BYTES_MAX} bytes"));
            return Ok(report);
        }
        let reading = csvfmt::read_debtors(bytes, &csv_options(&org));
        report.csv_errors(reading.errors);
        let rows = reading.records;
        self.import_debtors(&org, rows, opts, actor, report, &sha256_hex(bytes)).await
    }

    /// Imports debtors (from a file or the API) into `org`.
    ///
    /// # Errors
    /// Store errors; problems with rows are in the report.
    pub async fn import_debtors(
        &self,
        org: &StoredOrganisation,
        rows: Vec<Parsed<Debtor>>,
        opts: ImportOptions,
        actor: &Actor,
        mut report: ImportReport,
        file_sha256: &str,
    ) -> Result<ImportReport, AppError> {
        if report.rejected() {
            report.sort_errors();
            return Ok(report);
        }
        let now = self.now();
        let mut tx = self.store.begin_write().await?;
        let numbers: Vec<&str> = rows.iter().map(|r| r.record.number.as_str()).collect();
        let stored = tx.find_debtors_by_numbers(org.id, &numbers).await?;
        let mut new_rows: Vec<&Debtor> = Vec::new();
        let mut updates: Vec<(&StoredDebtor, Debtor, Vec<&'static str>)> = Vec::new();
        let mut audits = Vec::new();
        for row in &rows {
            let d = &row.record;
            match stored.get(&d.number) {
                None => {
                    new_rows.push(d);
                    report.count(row.line, &d.number, RowOutcome::Created);
                }
                Some(s) => {
                    let fields = debtor_differences(&s.debtor, d);
                    if fields.is_empty() {
                        report.count(row.line, &d.number, RowOutcome::Unchanged);
                    } else if opts.update {
                        let mut merged = d.clone();
                        merged.pause = s.debtor.pause.clone();
                        audits.push(audit(
                            actor,
                            now,
                            "debtor.update",
                            "debtor",
                            &d.number,
                            serde_json::json!({ "fields": fields, "source": report.file }),
                        ));
                        updates.push((s, merged, fields.clone()));
                        report.count(row.line, &d.number, RowOutcome::Updated { fields });
                    } else {
                        report.count(row.line, &d.number, RowOutcome::Conflict { fields });
                    }
                }
            }
        }
        if !new_rows.is_empty() {
            let first = tx.reserve_ids(org.id, "debtor", new_rows.len() as u64).await?;
            let with_ids: Vec<(DebtorId, &Debtor)> =
                new_rows.iter().zip(first..).map(|(d, id)| (DebtorId(id), *d)).collect();
            tx.insert_debtors(org.id, &with_ids, now).await?;
        }
        for (s, merged, _) in &updates {
            tx.update_debtor(org.id, s.id, merged, now).await?;
        }
        self.finish_import(&mut tx, org, actor, now, &report, file_sha256, audits).await?;
        tx.commit().await?;
        Ok(report)
    }

    /// Writes the import's audit entries and its ledger record.
    async fn finish_import(
        &self,
        tx: &mut StoreTx,
        org: &StoredOrganisation,
        actor: &Actor,
        now: i64,
        report: &ImportReport,
        file_sha256: &str,
        mut audits: Vec<AuditEntry>,
    ) -> Result<(), AppError> {
        if report.created + report.updated == 0 && report.allocated == 0 {
            // Nothing changed: a re-run leaves no trace, not even in the audit log.
            return Ok(());
        }
        audits.push(audit(
            actor,
            now,
            &format!("import.{}", report.kind),
            "import",
            &report.file,
            serde_json::json!({
                "created": report.created, "updated": report.updated,
                "unchanged": report.unchanged, "conflicts": report.conflicts,
                "allocated": report.allocated, "sha256": file_sha256,
            }),
        ));
        tx.insert_audit(org.id, &audits).await?;
        tx.insert_import_record(
            org.id,
            &ImportRecord {
                kind: report.kind.clone(),
                file_name: report.file.clone(),
                file_sha256: file_sha256.into(),
                at: now,
                actor: actor.0.clone(),
                created: report.created,
                updated: report.updated,
                unchanged: report.unchanged,
            },
        )
        .await?;
        Ok(())
    }

    /// Imports an invoices CSV file (credit notes are rows with a negative amount).
    ///
    /// # Errors
    /// Store and organisation errors; problems in the file are in the report.
    pub async fn import_invoices_csv(
        &self,
        org_slug: Option<&str>,
        file: &str,
        bytes: &[u8],
        opts: ImportOptions,
        actor: &Actor,
    ) -> Result<ImportReport, AppError> {
        let org = self.resolve_organisation(org_slug).await?;
        let mut report = ImportReport::new("invoices", file);
        if bytes.len() > IMPORT_FILE_BYTES_MAX {
            report.error(0, "", "", format!("file is larger than {IMPORT_FILE_BYTES_MAX} bytes"));
            return Ok(report);
        }
        let clock = std::time::Instant::now();
        let reading = csvfmt::read_invoices(bytes, &csv_options(&org));
        tracing::debug!(ms = clock.elapsed().as_millis(), "import: file read");
        report.csv_errors(reading.errors);
        let rows = reading.records;
        let rows =
            rows.into_iter().map(|p| Parsed { line: p.line, record: p.record.invoice }).collect();
        self.import_invoices(&org, rows, opts, actor, report, &sha256_hex(bytes)).await
    }

    /// Imports invoices and credit notes (from a file or the API) into `org`.
    ///
    /// Rows without a payment reference get one in the organisation's scheme. A credit note that
    /// names the invoice it credits is allocated to it when created.
    ///
    /// # Errors
    /// Store errors; problems with rows are in the report.
    pub async fn import_invoices(
        &self,
        org: &StoredOrganisation,
        mut rows: Vec<Parsed<Invoice>>,
        opts: ImportOptions,
        actor: &Actor,
        mut report: ImportReport,
        file_sha256: &str,
    ) -> Result<ImportReport, AppError> {
        let now = self.now();
        let clock = std::time::Instant::now();
        let mut tx = self.store.begin_write().await?;

        // Resolve debtors and stored invoices in batches.
        let debtor_numbers: Vec<&str> = {
            let set: HashSet<&str> = rows.iter().map(|r| r.record.debtor_number.as_str()).collect();
            set.into_iter().collect()
        };
        let debtor_ids = tx.find_debtor_ids(org.id, &debtor_numbers).await?;
        tracing::debug!(ms = clock.elapsed().as_millis(), "import: debtors resolved");
        let mut wanted: Vec<&str> = rows.iter().map(|r| r.record.number.as_str()).collect();
        wanted.extend(rows.iter().filter_map(|r| r.record.credits_invoice.as_deref()));
        let stored = tx.find_invoices_by_numbers(org.id, &wanted).await?;
        tracing::debug!(ms = clock.elapsed().as_millis(), "import: stored invoices read");
        let given_refs: Vec<&str> =
            rows.iter().filter_map(|r| r.record.payment_reference.as_deref()).collect();
        let refs_in_use: HashMap<String, String> = tx
            .find_invoices_by_references(org.id, &given_refs)
            .await?
            .into_iter()
            .filter_map(|i| i.invoice.payment_reference.clone().map(|r| (r, i.invoice.number)))
            .collect();

        let in_file: HashMap<&str, &Invoice> =
            rows.iter().map(|r| (r.record.number.as_str(), &r.record)).collect();
        let mut ref_lines: HashMap<&str, u64> = HashMap::new();
        let mut plan: Vec<(usize, Option<&StoredInvoice>)> = Vec::new();
        for (index, row) in rows.iter().enumerate() {
            let inv = &row.record;
            if let Err(e) = inv.validate() {
                report.error(row.line, "amount", &inv.amount.to_string(), e.to_string());
            }
            if !debtor_ids.contains_key(&inv.debtor_number) {
                report.error(
                    row.line,
                    "debtor_number",
                    &inv.debtor_number,
                    "no debtor with this number; import debtors first",
                );
            }
            if let Some(r) = inv.payment_reference.as_deref() {
                if let Some(first) = ref_lines.insert(r, row.line) {
                    report.error(
                        row.line,
                        "payment_reference",
                        r,
                        format!("payment reference also used on line {first}"),
                    );
                }
                if let Some(other) = refs_in_use.get(r).filter(|n| **n != inv.number) {
                    report.error(
                        row.line,
                        "payment_reference",
                        r,
                        format!("payment reference already used by invoice {other}"),
                    );
                }
            }
            if let Some(target) = inv.credits_invoice.as_deref() {
                self.check_credit_target(&mut report, row.line, inv, target, &in_file, &stored);
            }
            let existing = stored.get(&inv.number);
            if let Some(s) = existing
                && s.invoice.kind != inv.kind
            {
                report.error(
                    row.line,
                    "amount",
                    &inv.amount.to_string(),
                    "the stored item is of the other kind (invoice vs credit note); \
                     a sign change is not an update",
                );
            }
            plan.push((index, existing));
        }
        tracing::debug!(ms = clock.elapsed().as_millis(), "import: rows checked");
        if report.rejected() {
            tx.rollback().await?;
            report.sort_errors();
            return Ok(report);
        }

        // Decide each row's outcome.
        let mut creates: Vec<usize> = Vec::new();
        let mut updates: Vec<(usize, &StoredInvoice)> = Vec::new();
        let mut audits = Vec::new();
        for (index, existing) in plan {
            let Some(row) = rows.get(index) else { continue };
            let inv = &row.record;
            match existing {
                None => {
                    creates.push(index);
                    report.count(row.line, &inv.number, RowOutcome::Created);
                }
                Some(s) => {
                    let fields = invoice_differences(&s.invoice, inv);
                    if fields.is_empty() {
                        report.count(row.line, &inv.number, RowOutcome::Unchanged);
                    } else if opts.update {
                        let allocated = s.invoice.amount.minor() - s.open.minor();
                        if inv.amount.minor().abs() < allocated.abs() {
                            report.error(row.line, "amount", &inv.amount.to_string(), format!(
                                "{} is already allocated to this item; the amount cannot be lower",
                                format_minor(allocated.abs(), inv.amount.currency())));
                            continue;
                        }
                        audits.push(audit(
                            actor,
                            now,
                            "invoice.update",
                            "invoice",
                            &inv.number,
                            serde_json::json!({ "fields": fields, "source": report.file }),
                        ));
                        updates.push((index, s));
                        report.count(row.line, &inv.number, RowOutcome::Updated { fields });
                    } else {
                        report.count(row.line, &inv.number, RowOutcome::Conflict { fields });
                    }
                }
            }
        }
        if report.rejected() {
            tx.rollback().await?;
            report.sort_errors();
            return Ok(report);
        }

        tracing::debug!(ms = clock.elapsed().as_millis(), "import: outcomes decided");
        // Payment references for new rows that have none.
        let missing: Vec<usize> = creates
            .iter()
            .copied()
            .filter(|i| rows.get(*i).is_some_and(|r| r.record.payment_reference.is_none()))
            .collect();
        // On a SQLite file the drawn references are checked against the stored ones on a
        // read connection while the rows are inserted (the check of a million references takes
        // 0.4 s, the inserts ten times that), and the rare one in use is replaced after the
        // insert. Holding the write lock, this transaction is the file's only writer, so the
        // read sees exactly what was stored before it. Elsewhere they are checked before.
        let beside = self.store.reads_beside_a_writer();
        let given: HashSet<&str> = ref_lines.keys().copied().collect();
        let generated = if beside {
            draw_references(&mut tx, org, missing.len(), &given).await?
        } else {
            generate_references(&mut tx, org, missing.len(), &given).await?
        };
        tracing::debug!(ms = clock.elapsed().as_millis(), "import: references generated");
        report.references_generated = generated.len() as u64;
        for (index, r) in missing.iter().zip(generated) {
            if let Some(row) = rows.get_mut(*index) {
                row.record.payment_reference = Some(r);
            }
        }

        // Write: new rows first, so credit notes in this file can point at invoices in it.
        let mut ids: HashMap<String, InvoiceId> =
            stored.values().map(|s| (s.invoice.number.clone(), s.id)).collect();
        let first = tx.reserve_ids(org.id, "invoice", creates.len() as u64).await?;
        for (index, id) in creates.iter().zip(first..) {
            if let Some(row) = rows.get(*index) {
                ids.insert(row.record.number.clone(), InvoiceId(id));
            }
        }
        let to_insert: Vec<NewInvoice> = creates
            .iter()
            .filter_map(|i| rows.get(*i))
            .filter_map(|row| {
                let inv = &row.record;
                Some(NewInvoice {
                    id: *ids.get(&inv.number)?,
                    debtor_id: *debtor_ids.get(&inv.debtor_number)?,
                    invoice: inv,
                    credits_invoice_id: inv
                        .credits_invoice
                        .as_ref()
                        .and_then(|n| ids.get(n).copied()),
                })
            })
            .collect();
        let drawn: Vec<&str> = if beside {
            missing
                .iter()
                .filter_map(|i| rows.get(*i)?.record.payment_reference.as_deref())
                .collect()
        } else {
            Vec::new()
        };
        let check = async {
            if drawn.is_empty() {
                return Ok(Vec::new());
            }
            let mut read = self.store.read().await?;
            read.find_invoices_by_references(org.id, &drawn).await
        };
        let (inserted, in_use) =
            futures_util::future::join(tx.insert_invoices(org.id, &to_insert, now), check).await;
        inserted?;
        let in_use: HashSet<String> =
            in_use?.into_iter().filter_map(|i| i.invoice.payment_reference).collect();
        tracing::debug!(ms = clock.elapsed().as_millis(), "import: invoices inserted");
        if !in_use.is_empty() {
            // Only drawn references were checked, and none equals one the file brings. The
            // replacements are checked inside the transaction, which now holds every reference
            // this import brought or drew.
            let clashing: Vec<&NewInvoice> = to_insert
                .iter()
                .filter(|n| {
                    n.invoice.payment_reference.as_ref().is_some_and(|r| in_use.contains(r))
                })
                .collect();
            let fresh = generate_references(&mut tx, org, clashing.len(), &HashSet::new()).await?;
            for (n, r) in clashing.into_iter().zip(fresh) {
                let mut inv = n.invoice.clone();
                inv.payment_reference = Some(r);
                tx.update_invoice(org.id, NewInvoice { invoice: &inv, ..*n }, now).await?;
            }
        }
        for (index, s) in &updates {
            let Some(row) = rows.get(*index) else { continue };
            let mut inv = row.record.clone();
            if inv.payment_reference.is_none() {
                inv.payment_reference = s.invoice.payment_reference.clone();
            }
            let Some(debtor_id) = debtor_ids.get(&inv.debtor_number).copied() else { continue };
            let credits = inv.credits_invoice.as_ref().and_then(|n| ids.get(n).copied());
            tx.update_invoice(
                org.id,
                NewInvoice { id: s.id, debtor_id, invoice: &inv, credits_invoice_id: credits },
                now,
            )
            .await?;
        }

        // New credit notes that name their invoice are allocated to it. Only the items
        // involved are gathered: an import of a million invoices and no such credit note spends
        // nothing here, and one with many looks each target up once.
        let targets: HashSet<InvoiceId> =
            to_insert.iter().filter_map(|n| n.credits_invoice_id).collect();
        let mut open: HashMap<InvoiceId, i64> = HashMap::new();
        let mut issued: HashMap<InvoiceId, Date> = HashMap::new();
        if !targets.is_empty() {
            for s in stored.values().filter(|s| targets.contains(&s.id)) {
                open.insert(s.id, s.open.minor());
                issued.insert(s.id, s.invoice.issue_date);
            }
            for n in &to_insert {
                if n.credits_invoice_id.is_some() || targets.contains(&n.id) {
                    open.insert(n.id, n.invoice.amount.minor());
                    issued.insert(n.id, n.invoice.issue_date);
                }
            }
        }
        let mut allocations = Vec::new();
        for n in &to_insert {
            let Some(target) = n.credits_invoice_id else { continue };
            let credit_left = open.get(&n.id).copied().unwrap_or(0).abs();
            let target_open = open.get(&target).copied().unwrap_or(0);
            let amount = credit_left.min(target_open);
            if amount <= 0 {
                continue;
            }
            let target_issue = issued.get(&target).copied();
            let effective =
                target_issue.map_or(n.invoice.issue_date, |t| t.max(n.invoice.issue_date));
            open.insert(target, target_open - amount);
            open.insert(n.id, -(credit_left - amount));
            allocations.push((
                target,
                n.id,
                amount,
                effective,
                n.invoice.issue_date,
                n.invoice.amount.currency(),
            ));
        }
        if !allocations.is_empty() {
            let first = tx.reserve_ids(org.id, "allocation", allocations.len() as u64).await?;
            let rows_alloc: Vec<NewAllocation> = allocations
                .iter()
                .zip(first..)
                .map(|((target, credit, amount, effective, source_date, currency), id)| {
                    NewAllocation {
                        id: AllocationId(id),
                        invoice_id: *target,
                        source: AllocationSource::CreditNote(*credit),
                        amount_minor: *amount,
                        currency: *currency,
                        source_date: *source_date,
                        effective_date: *effective,
                        created_by: actor.0.clone(),
                    }
                })
                .collect();
            tx.insert_allocations(org.id, &rows_alloc, now).await?;
            let touched: Vec<InvoiceId> =
                allocations.iter().flat_map(|(t, c, ..)| [*t, *c]).collect();
            tx.refresh_balances(org.id, &touched, &[]).await?;
            report.allocated = allocations.len() as u64;
        }
        self.finish_import(&mut tx, org, actor, now, &report, file_sha256, audits).await?;
        tracing::debug!(ms = clock.elapsed().as_millis(), "import: audit written");
        tx.commit().await?;
        tracing::debug!(ms = clock.elapsed().as_millis(), "import: committed");
        Ok(report)
    }

    fn check_credit_target(
        &self,
        report: &mut ImportReport,
        line: u64,
        inv: &Invoice,
        target: &str,
        in_file: &HashMap<&str, &Invoice>,
        stored: &HashMap<String, StoredInvoice>,
    ) {
        if inv.kind != InvoiceKind::CreditNote {
            report.error(
                line,
                "credits_invoice",
                target,
                "only a credit note (negative amount) can credit an invoice",
            );
            return;
        }
        let found = in_file.get(target).copied().or_else(|| stored.get(target).map(|s| &s.invoice));
        match found {
            None => report.error(line, "credits_invoice", target, "no invoice with this number"),
            Some(t) if t.kind != InvoiceKind::Invoice => {
                report.error(
                    line,
                    "credits_invoice",
                    target,
                    "this number is a credit note, not an invoice",
                );
            }
            Some(t) if t.debtor_number != inv.debtor_number => report.error(
                line,
                "credits_invoice",
                target,
                format!(
                    "invoice {target} belongs to debtor {}, not {}",
                    t.debtor_number, inv.debtor_number
                ),
            ),
            Some(t) if t.amount.currency() != inv.amount.currency() => report.error(
                line,
                "credits_invoice",
                target,
                format!(
                    "invoice {target} is in {}, the credit note in {}",
                    t.amount.currency(),
                    inv.amount.currency()
                ),
            ),
            Some(_) => {}
        }
    }

    /// Imports a payments CSV file.
    ///
    /// # Errors
    /// Store and organisation errors; problems in the file are in the report.
    pub async fn import_payments_csv(
        &self,
        org_slug: Option<&str>,
        file: &str,
        bytes: &[u8],
        actor: &Actor,
    ) -> Result<ImportReport, AppError> {
        let org = self.resolve_organisation(org_slug).await?;
        let mut report = ImportReport::new("payments", file);
        if bytes.len() > IMPORT_FILE_BYTES_MAX {
            report.error(0, "", "", format!("file is larger than {IMPORT_FILE_BYTES_MAX} bytes"));
            return Ok(report);
        }
        let reading = csvfmt::read_payments(bytes, &csv_options(&org));
        report.csv_errors(reading.errors);
        let rows = reading.records;
        self.import_payments(&org, rows, actor, report, &sha256_hex(bytes)).await
    }

    /// Imports payments (from a file, a bank statement or the API) into `org`.
    ///
    /// A payment that names its invoice (`invoice_number`), or whose reference is the structured
    /// payment reference of exactly one invoice, is allocated to it up to what is open; the rest
    /// stays unapplied credit of the invoice's debtor. A payment whose reference is a payment
    /// plan instalment's (and no invoice's) is allocated to the plan's open invoices, oldest due
    /// date first, as [`spread_over_plan`] says; the rest stays unapplied credit of the plan's
    /// debtor. Other payments are attributed to a debtor when their IBAN belongs to exactly one,
    /// and wait unapplied for reconciliation.
    ///
    /// # Errors
    /// Store errors; problems with rows are in the report.
    pub async fn import_payments(
        &self,
        org: &StoredOrganisation,
        rows: Vec<Parsed<Payment>>,
        actor: &Actor,
        mut report: ImportReport,
        file_sha256: &str,
    ) -> Result<ImportReport, AppError> {
        let now = self.now();
        let org_currency = org.organisation.currency;
        let mut tx = self.store.begin_write().await?;
        let externals: Vec<&str> = rows.iter().map(|r| r.record.external_id.as_str()).collect();
        let stored = tx.find_payments_by_external_ids(org.id, &externals).await?;
        let named: Vec<&str> =
            rows.iter().filter_map(|r| r.record.invoice_number.as_deref()).collect();
        let invoices = tx.find_invoices_by_numbers(org.id, &named).await?;
        let refs: Vec<String> = rows
            .iter()
            .filter(|r| r.record.invoice_number.is_none())
            .filter_map(|r| r.record.reference.as_deref())
            .filter_map(|r| reference::check(r).ok().map(|p| p.normalized))
            .collect();
        let ref_refs: Vec<&str> = refs.iter().map(String::as_str).collect();
        let mut by_reference: HashMap<String, Vec<StoredInvoice>> = HashMap::new();
        for inv in tx.find_invoices_by_references(org.id, &ref_refs).await? {
            if let Some(r) = inv.invoice.payment_reference.clone() {
                by_reference.entry(r).or_default().push(inv);
            }
        }
        // References of no invoice may be payment-plan instalments'; their plans' open
        // invoices are read with them.
        let plan_refs: Vec<&str> =
            ref_refs.iter().copied().filter(|r| !by_reference.contains_key(*r)).collect();
        let plans = if plan_refs.is_empty() {
            HashMap::new()
        } else {
            tx.find_plan_instalments(org.id, &plan_refs).await?
        };
        let plan_numbers: Vec<&str> = plans
            .values()
            .flat_map(|m| m.open_items.iter().map(|i| i.number.as_str()))
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let plan_invoices = if plan_numbers.is_empty() {
            HashMap::new()
        } else {
            tx.find_invoices_by_numbers(org.id, &plan_numbers).await?
        };
        let ibans: Vec<&str> =
            rows.iter().filter_map(|r| r.record.counterparty_iban.as_deref()).collect();
        let by_iban = tx.find_debtors_by_ibans(org.id, &ibans).await?;

        let mut seen: HashMap<&str, u64> = HashMap::new();
        let mut creates: Vec<(usize, Option<PaymentTarget<'_>>, Option<DebtorId>)> = Vec::new();
        for (index, row) in rows.iter().enumerate() {
            let p = &row.record;
            if let Some(first) = seen.insert(p.external_id.as_str(), row.line) {
                // A file's own duplicates are reported by the parser already.
                if !report.rejected() {
                    report.error(
                        row.line,
                        "external_id",
                        &p.external_id,
                        format!("also on line {first}"),
                    );
                }
                continue;
            }
            if p.amount.is_zero() {
                report.error(row.line, "amount", "0", "a payment of zero is not a payment");
                continue;
            }
            if let Some(s) = stored.get(&p.external_id) {
                if s.payment == *p {
                    report.count(row.line, &p.external_id, RowOutcome::Unchanged);
                } else {
                    report.count(
                        row.line,
                        &p.external_id,
                        RowOutcome::Conflict { fields: payment_differences(&s.payment, p) },
                    );
                }
                continue;
            }
            let quoted = p.reference.as_deref().and_then(|r| reference::check(r).ok());
            let target = match p.invoice_number.as_deref() {
                Some(n) => match invoices.get(n) {
                    None => {
                        report.error(row.line, "invoice_number", n, "no invoice with this number");
                        continue;
                    }
                    Some(inv) if inv.invoice.kind != InvoiceKind::Invoice => {
                        report.error(
                            row.line,
                            "invoice_number",
                            n,
                            "this number is a credit note, not an invoice",
                        );
                        continue;
                    }
                    Some(inv) => Some(PaymentTarget::Invoice(inv)),
                },
                None => quoted.as_ref().and_then(|r| match by_reference.get(&r.normalized) {
                    Some(list) => list
                        .first()
                        .filter(|_| list.len() == 1)
                        .filter(|inv| inv.invoice.kind == InvoiceKind::Invoice)
                        .map(PaymentTarget::Invoice),
                    None => plans.get(&r.normalized).map(PaymentTarget::Plan),
                }),
            };
            match target {
                Some(PaymentTarget::Invoice(inv))
                    if inv.invoice.amount.currency() != p.amount.currency() =>
                {
                    report.error(
                        row.line,
                        "currency",
                        p.amount.currency().code(),
                        format!(
                            "invoice {} is in {}; a payment in another currency cannot settle it",
                            inv.invoice.number,
                            inv.invoice.amount.currency()
                        ),
                    );
                    continue;
                }
                Some(PaymentTarget::Plan(plan))
                    if plan.amount.currency() != p.amount.currency() =>
                {
                    report.error(
                        row.line,
                        "currency",
                        p.amount.currency().code(),
                        format!(
                            "the reference is of payment plan {}, which is in {}; a payment in \
                             another currency cannot pay it",
                            plan.plan_id,
                            plan.amount.currency()
                        ),
                    );
                    continue;
                }
                None if p.amount.currency() != org_currency => {
                    report.error(row.line, "currency", p.amount.currency().code(), format!(
                        "the organisation works in {org_currency}; name the invoice in {} this pays \
                         (invoice_number)", p.amount.currency()));
                    continue;
                }
                _ => {}
            }
            let debtor = target
                .map(|t| match t {
                    PaymentTarget::Invoice(inv) => inv.debtor_id,
                    PaymentTarget::Plan(plan) => plan.debtor_id,
                })
                .or_else(|| {
                    p.counterparty_iban
                        .as_deref()
                        .and_then(|i| by_iban.get(i))
                        .filter(|ids| ids.len() == 1)
                        .and_then(|ids| ids.first().copied())
                });
            creates.push((index, target, debtor));
            report.count(row.line, &p.external_id, RowOutcome::Created);
        }
        if report.rejected() {
            tx.rollback().await?;
            report.sort_errors();
            return Ok(report);
        }

        let first = tx.reserve_ids(org.id, "payment", creates.len() as u64).await?;
        let mut new_rows = Vec::with_capacity(creates.len());
        let mut open: HashMap<InvoiceId, (i64, Date)> = invoices
            .values()
            .chain(by_reference.values().flatten())
            .chain(plan_invoices.values())
            .map(|i| (i.id, (i.open.minor(), i.invoice.issue_date)))
            .collect();
        let due_dates: HashMap<InvoiceId, Date> =
            plan_invoices.values().map(|i| (i.id, i.invoice.due_date)).collect();
        let mut allocations: Vec<(InvoiceId, PaymentId, i64, Date, Date, Currency)> = Vec::new();
        let mut learned: Vec<(DebtorId, String)> = Vec::new();
        for ((index, target, debtor), id) in creates.iter().zip(first..) {
            let Some(row) = rows.get(*index) else { continue };
            let p = &row.record;
            let pid = PaymentId(id);
            new_rows.push(NewPayment { id: pid, payment: p, debtor_id: *debtor });
            let Some(target) = target else { continue };
            if let (Some(iban), Some(d)) = (&p.counterparty_iban, debtor) {
                learned.push((*d, iban.clone()));
            }
            // What each invoice receives: a named invoice up to what is open on it, a plan's
            // invoices as the matcher spreads it (what rows before this one left open counts).
            let shares: Vec<(InvoiceId, i64)> = match target {
                PaymentTarget::Invoice(inv) => open
                    .get(&inv.id)
                    .map(|(left, _)| vec![(inv.id, p.amount.minor().min(*left))])
                    .unwrap_or_default(),
                PaymentTarget::Plan(plan) => {
                    let invoices: Vec<PlanInvoice> = plan
                        .open_items
                        .iter()
                        .filter_map(|i| {
                            let (left, _) = open.get(&i.invoice_id)?;
                            let due_date = *due_dates.get(&i.invoice_id)?;
                            Some(PlanInvoice { id: i.invoice_id, due_date, open_minor: *left })
                        })
                        .collect();
                    spread_over_plan(&invoices, p.amount.minor()).0
                }
            };
            for (id, amount) in shares {
                let Some((left, issue)) = open.get_mut(&id) else { continue };
                if amount > 0 {
                    *left -= amount;
                    allocations.push((
                        id,
                        pid,
                        amount,
                        p.date.max(*issue),
                        p.date,
                        p.amount.currency(),
                    ));
                }
            }
        }
        tx.insert_payments(org.id, &new_rows, now).await?;
        if !allocations.is_empty() {
            let first = tx.reserve_ids(org.id, "allocation", allocations.len() as u64).await?;
            let new_allocations: Vec<NewAllocation> = allocations
                .iter()
                .zip(first..)
                .map(|((inv, pid, amount, date, source_date, currency), id)| NewAllocation {
                    id: AllocationId(id),
                    invoice_id: *inv,
                    source: AllocationSource::Payment(*pid),
                    amount_minor: *amount,
                    currency: *currency,
                    source_date: *source_date,
                    effective_date: *date,
                    created_by: actor.0.clone(),
                })
                .collect();
            tx.insert_allocations(org.id, &new_allocations, now).await?;
            let items: Vec<InvoiceId> = {
                let set: HashSet<InvoiceId> = allocations.iter().map(|a| a.0).collect();
                set.into_iter().collect()
            };
            let payments: Vec<PaymentId> = allocations.iter().map(|a| a.1).collect();
            tx.refresh_balances(org.id, &items, &payments).await?;
            report.allocated = allocations.len() as u64;
        }
        learned.sort();
        learned.dedup();
        for (debtor, iban) in &learned {
            tx.add_debtor_iban(org.id, *debtor, iban).await?;
        }
        self.finish_import(&mut tx, org, actor, now, &report, file_sha256, Vec::new()).await?;
        tx.commit().await?;
        Ok(report)
    }
}

fn payment_differences(stored: &Payment, new: &Payment) -> Vec<&'static str> {
    let mut out = Vec::new();
    let mut check = |name: &'static str, same: bool| {
        if !same {
            out.push(name);
        }
    };
    check("date", stored.date == new.date);
    check("amount", stored.amount == new.amount);
    check("reference", stored.reference == new.reference);
    check("counterparty_iban", stored.counterparty_iban == new.counterparty_iban);
    check("counterparty_name", stored.counterparty_name == new.counterparty_name);
    check("invoice_number", stored.invoice_number == new.invoice_number);
    check("source", stored.source == new.source);
    out
}

/// `n` payment references in the organisation's scheme drawn from its counter, none in `avoid`
/// (the references rows of the same file bring themselves), not checked against the stored
/// ones: the caller does that.
async fn draw_references(
    tx: &mut StoreTx,
    org: &StoredOrganisation,
    n: usize,
    avoid: &HashSet<&str>,
) -> Result<Vec<String>, AppError> {
    let scheme = org.organisation.reference_scheme;
    let mut out: Vec<String> = Vec::with_capacity(n);
    for _round in 0..8 {
        let want = n - out.len();
        if want == 0 {
            break;
        }
        let first = tx.reserve_ids(org.id, "reference", want as u64).await?;
        for base in first..first + want as i64 {
            let r = reference::generate(scheme, u64::try_from(base).unwrap_or(0)).map_err(|e| {
                AppError::Invalid {
                    field: None,
                    message: format!("cannot generate a {} reference: {e}", scheme.as_str()),
                }
            })?;
            if !avoid.contains(r.normalized.as_str()) {
                out.push(r.normalized);
            }
        }
    }
    if out.len() < n {
        return Err(AppError::Invalid {
            field: None,
            message: "could not generate unused payment references".into(),
        });
    }
    Ok(out)
}

/// `n` new payment references in the organisation's scheme, none of them in use and none in
/// `avoid` (the references that rows written in the same transaction bring themselves).
pub(crate) async fn generate_references(
    tx: &mut StoreTx,
    org: &StoredOrganisation,
    n: usize,
    avoid: &HashSet<&str>,
) -> Result<Vec<String>, AppError> {
    let mut out: Vec<String> = Vec::with_capacity(n);
    // A reference typed in by hand, stored or in the same file, may equal a generated one: skip
    // those and draw again.
    for _round in 0..8 {
        let want = n - out.len();
        if want == 0 {
            break;
        }
        let batch = draw_references(tx, org, want, avoid).await?;
        tracing::debug!(n = batch.len(), "import: references drawn");
        let refs: Vec<&str> = batch.iter().map(String::as_str).collect();
        let taken: HashSet<String> = tx
            .find_invoices_by_references(org.id, &refs)
            .await?
            .into_iter()
            .filter_map(|i| i.invoice.payment_reference)
            .collect();
        out.extend(batch.into_iter().filter(|r| !taken.contains(r)));
    }
    if out.len() < n {
        return Err(AppError::Invalid {
            field: None,
            message: "could not generate unused payment references".into(),
        });
    }
    Ok(out)
}

/// The scheme of a reference an invoice carries, when it is a valid structured one.
pub fn scheme_of(reference: &str) -> Option<ReferenceScheme> {
    reference::check(reference).ok().map(|p| p.scheme)
}

/// Formats money for messages.
pub fn money_text(m: Money) -> String {
    format!("{} {}", m, m.currency())
}
