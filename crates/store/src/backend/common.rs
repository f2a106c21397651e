// The store's SQL, written once for both backends.
//
// This file is `include!`d by `sqlite.rs` and `postgres.rs`, each of which defines `type DB` (the
// sqlx database) before including it. Every statement here is valid on SQLite and PostgreSQL:
// `$N` placeholders (sqlx-sqlite maps them to the N-th bound value), `ON CONFLICT`, `RETURNING`,
// BIGINT/TEXT columns only, and an explicit `CAST(… AS BIGINT)` on every aggregate so both return
// an `i64`. What genuinely differs lives in the including file.

use std::collections::HashMap;

use arflow_core::date::{Date, parse_iso_date};
use arflow_core::id::{
    AllocationId, DebtorId, InvoiceId, OrganisationId, PaymentId, TokenId, UserId,
};
use arflow_core::ledger::{Invoice, Payment, PaymentSource};
use arflow_core::money::{Currency, Money};
use arflow_core::party::{
    Address, Contact, ContactPurpose, CountryCode, Debtor, OrgCountry, Organisation, Pause, Slug,
};
use sqlx::{QueryBuilder, Row};

use super::cells::Cells;
use crate::error::{StoreError, corrupt};
use crate::model::*;

type Conn = <DB as sqlx::Database>::Connection;
type DbRow = <DB as sqlx::Database>::Row;

/// `settled_on` of an item that is still open: later than any real date, so "open on D" is
/// `settled_on > D`.
const OPEN_SENTINEL: &str = "9999-12-31";

/// A transaction: every read and write of a use case goes through one.
pub struct Tx {
    tx: Session,
    /// Called after a successful commit (SQLite's writer: see `sqlite/checkpoint.rs`).
    after_commit: Option<crate::backend::AfterCommit>,
}

/// A transaction, or a plain connection whose statements each commit on their own (reads that
/// need no snapshot across statements: one round trip less each way).
enum Session {
    Transaction(sqlx::Transaction<'static, DB>),
    Autocommit(sqlx::pool::PoolConnection<DB>),
}

impl std::fmt::Debug for Tx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(concat!("Tx(", stringify!(DB), ")"))
    }
}

fn text<T: std::str::FromStr>(
    row: &impl Cells,
    table: &'static str,
    column: &'static str,
) -> Result<T, StoreError> {
    let raw = row.string(column)?;
    raw.parse::<T>().map_err(|_| corrupt(table, column, &raw))
}

fn opt_text(row: &impl Cells, column: &'static str) -> Result<Option<String>, StoreError> {
    row.opt_string(column)
}

fn date(row: &impl Cells, table: &'static str, column: &'static str) -> Result<Date, StoreError> {
    let raw = row.string(column)?;
    parse_iso_date(&raw).map_err(|_| corrupt(table, column, &raw))
}

fn opt_date(
    row: &impl Cells,
    table: &'static str,
    column: &'static str,
) -> Result<Option<Date>, StoreError> {
    match row.opt_string(column)? {
        None => Ok(None),
        Some(raw) => parse_iso_date(&raw).map(Some).map_err(|_| corrupt(table, column, &raw)),
    }
}

fn currency(
    row: &impl Cells,
    table: &'static str,
    column: &'static str,
) -> Result<Currency, StoreError> {
    let raw = row.string(column)?;
    Currency::parse(&raw).map_err(|_| corrupt(table, column, &raw))
}

fn country(
    row: &impl Cells,
    table: &'static str,
    column: &'static str,
) -> Result<CountryCode, StoreError> {
    let raw = row.string(column)?;
    CountryCode::parse(&raw).map_err(|_| corrupt(table, column, &raw))
}

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

const ORG_COLUMNS: &str = "id, slug, name, country, time_zone, language, currency, iban, bic, \
     enterprise_number, kvk_number, vat_number, reference_scheme, created_at";

fn decode_organisation(row: &DbRow) -> Result<StoredOrganisation, StoreError> {
    const T: &str = "organisations";
    let slug: String = row.try_get("slug")?;
    let country: OrgCountry = text(row, T, "country")?;
    Ok(StoredOrganisation {
        id: OrganisationId(row.try_get("id")?),
        organisation: Organisation {
            slug: Slug::parse(&slug).map_err(|_| corrupt(T, "slug", &slug))?,
            name: row.try_get("name")?,
            country,
            time_zone: row.try_get("time_zone")?,
            language: text(row, T, "language")?,
            currency: currency(row, T, "currency")?,
            iban: opt_text(row, "iban")?,
            bic: opt_text(row, "bic")?,
            enterprise_number: opt_text(row, "enterprise_number")?,
            kvk_number: opt_text(row, "kvk_number")?,
            vat_number: opt_text(row, "vat_number")?,
            reference_scheme: text(row, T, "reference_scheme")?,
        },
        created_at: row.try_get("created_at")?,
    })
}

const DEBTOR_COLUMNS: &str = "d.id, d.number, d.name, d.kind, d.country, d.language, \
     d.vat_number, d.enterprise_number, d.street, d.postal_code, d.city, d.address_country, \
     d.owner, d.credit_limit_minor, d.credit_limit_currency, d.pause_reason, d.pause_until, \
     d.created_at, d.updated_at";

fn decode_debtor(row: &DbRow) -> Result<StoredDebtor, StoreError> {
    const T: &str = "debtors";
    let address_country = match opt_text(row, "address_country")? {
        None => None,
        Some(raw) => {
            Some(CountryCode::parse(&raw).map_err(|_| corrupt(T, "address_country", &raw))?)
        }
    };
    let credit_limit = match row.try_get::<Option<i64>, _>("credit_limit_minor")? {
        None => None,
        Some(minor) => Some(Money::from_minor(minor, currency(row, T, "credit_limit_currency")?)),
    };
    let pause = match opt_text(row, "pause_reason")? {
        None => None,
        Some(reason) => Some(Pause { reason, until: opt_date(row, T, "pause_until")? }),
    };
    Ok(StoredDebtor {
        id: DebtorId(row.try_get("id")?),
        debtor: Debtor {
            number: row.try_get("number")?,
            name: row.try_get("name")?,
            kind: text(row, T, "kind")?,
            country: country(row, T, "country")?,
            language: text(row, T, "language")?,
            emails: Vec::new(),
            phones: Vec::new(),
            address: Address {
                street: opt_text(row, "street")?,
                postal_code: opt_text(row, "postal_code")?,
                city: opt_text(row, "city")?,
                country: address_country,
            },
            vat_number: opt_text(row, "vat_number")?,
            enterprise_number: opt_text(row, "enterprise_number")?,
            ibans: Vec::new(),
            segments: Vec::new(),
            owner: opt_text(row, "owner")?,
            credit_limit,
            pause,
        },
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

const INVOICE_COLUMNS: &str = "i.id, i.number, i.debtor_id, d.number AS debtor_number, i.kind, \
     i.issue_date, i.due_date, i.currency, i.amount_minor, i.amount_excl_vat_minor, \
     i.payment_reference, i.description, i.external_id, ci.number AS credits_invoice_number, \
     i.open_minor, i.settled_on, i.created_at, i.updated_at, \
     CAST(CASE WHEN EXISTS (SELECT 1 FROM invoice_documents x \
       WHERE x.organisation_id = i.organisation_id AND x.invoice_id = i.id) THEN 1 ELSE 0 END \
       AS BIGINT) AS has_document";

const INVOICE_FROM: &str = " FROM invoices i \
     JOIN debtors d ON d.organisation_id = i.organisation_id AND d.id = i.debtor_id \
     LEFT JOIN invoices ci ON ci.organisation_id = i.organisation_id AND ci.id = i.credits_invoice_id";

fn decode_invoice(row: &impl Cells) -> Result<StoredInvoice, StoreError> {
    const T: &str = "invoices";
    let cur = currency(row, T, "currency")?;
    let settled_raw = row.string("settled_on")?;
    let settled_on = if settled_raw == OPEN_SENTINEL {
        None
    } else {
        Some(parse_iso_date(&settled_raw).map_err(|_| corrupt(T, "settled_on", &settled_raw))?)
    };
    Ok(StoredInvoice {
        id: InvoiceId(row.int("id")?),
        debtor_id: DebtorId(row.int("debtor_id")?),
        invoice: Invoice {
            number: row.string("number")?,
            debtor_number: row.string("debtor_number")?,
            kind: text(row, T, "kind")?,
            issue_date: date(row, T, "issue_date")?,
            due_date: date(row, T, "due_date")?,
            amount: Money::from_minor(row.int("amount_minor")?, cur),
            amount_excl_vat: row
                .opt_int("amount_excl_vat_minor")?
                .map(|m| Money::from_minor(m, cur)),
            payment_reference: opt_text(row, "payment_reference")?,
            description: opt_text(row, "description")?,
            external_id: opt_text(row, "external_id")?,
            credits_invoice: opt_text(row, "credits_invoice_number")?,
        },
        open: Money::from_minor(row.int("open_minor")?, cur),
        settled_on,
        has_document: row.int("has_document")? != 0,
        created_at: row.int("created_at")?,
        updated_at: row.int("updated_at")?,
    })
}

const PAYMENT_COLUMNS: &str = "p.id, p.payment_date, p.amount_minor, p.currency, p.reference, \
     p.counterparty_iban, p.counterparty_name, p.source, p.invoice_number, p.external_id, \
     p.debtor_id, p.unapplied_minor, p.created_at";

fn decode_payment(row: &DbRow) -> Result<StoredPayment, StoreError> {
    const T: &str = "payments";
    let cur = currency(row, T, "currency")?;
    Ok(StoredPayment {
        id: PaymentId(row.try_get("id")?),
        payment: Payment {
            date: date(row, T, "payment_date")?,
            amount: Money::from_minor(row.try_get("amount_minor")?, cur),
            reference: opt_text(row, "reference")?,
            counterparty_iban: opt_text(row, "counterparty_iban")?,
            counterparty_name: opt_text(row, "counterparty_name")?,
            source: text::<PaymentSource>(row, T, "source")?,
            invoice_number: opt_text(row, "invoice_number")?,
            external_id: row.try_get("external_id")?,
        },
        debtor_id: row.try_get::<Option<i64>, _>("debtor_id")?.map(DebtorId),
        unapplied: Money::from_minor(row.try_get("unapplied_minor")?, cur),
        created_at: row.try_get("created_at")?,
    })
}

/// The allocation columns `decode_allocation` reads, from `allocations a` (or the table
/// expression given, an index hint for instance) with its invoice and credit note.
macro_rules! allocation_select {
    () => {
        allocation_select!("allocations a")
    };
    ($from:expr) => {
        allocation_select!($from, "")
    };
    // `$more`: columns after the allocation's own.
    ($from:expr, $more:expr) => {
        concat!(
            "SELECT a.id, a.invoice_id, inv.number AS invoice_number, \
             a.payment_id, a.credit_note_id, cn.number AS credit_note_number, a.amount_minor, \
             inv.currency, a.effective_date, a.created_at, a.created_by",
            $more,
            " FROM ",
            $from,
            " JOIN invoices inv ON inv.organisation_id = a.organisation_id \
             AND inv.id = a.invoice_id \
             LEFT JOIN invoices cn ON cn.organisation_id = a.organisation_id \
             AND cn.id = a.credit_note_id"
        )
    };
}

fn decode_allocation(row: &DbRow) -> Result<StoredAllocation, StoreError> {
    decode_allocation_named(row, &ALLOCATION_NAMES)
}

/// The output names of an allocation's columns in a query: those of [`allocation_select!`], or
/// those of [`find_invoice_with_allocations`](Tx::find_invoice_with_allocations), where they share
/// each row with the invoice's.
struct AllocationNames {
    id: &'static str,
    invoice_id: &'static str,
    invoice_number: &'static str,
    payment_id: &'static str,
    credit_note_id: &'static str,
    credit_note_number: &'static str,
    amount_minor: &'static str,
    currency: &'static str,
    effective_date: &'static str,
    created_at: &'static str,
    created_by: &'static str,
}

const ALLOCATION_NAMES: AllocationNames = AllocationNames {
    id: "id",
    invoice_id: "invoice_id",
    invoice_number: "invoice_number",
    payment_id: "payment_id",
    credit_note_id: "credit_note_id",
    credit_note_number: "credit_note_number",
    amount_minor: "amount_minor",
    currency: "currency",
    effective_date: "effective_date",
    created_at: "created_at",
    created_by: "created_by",
};

const ALLOCATION_NAMES_BESIDE_INVOICE: AllocationNames = AllocationNames {
    id: "alloc_id",
    invoice_id: "alloc_invoice_id",
    invoice_number: "alloc_invoice_number",
    payment_id: "alloc_payment_id",
    credit_note_id: "alloc_credit_note_id",
    credit_note_number: "alloc_credit_note_number",
    amount_minor: "alloc_amount_minor",
    currency: "alloc_currency",
    effective_date: "alloc_effective_date",
    created_at: "alloc_created_at",
    created_by: "alloc_created_by",
};

fn decode_allocation_named(row: &impl Cells, n: &AllocationNames) -> Result<StoredAllocation, StoreError> {
    const T: &str = "allocations";
    let cur = currency(row, "invoices", n.currency)?;
    let source = match (
        row.opt_int(n.payment_id)?,
        row.opt_int(n.credit_note_id)?,
    ) {
        (Some(p), None) => AllocationSource::Payment(PaymentId(p)),
        (None, Some(c)) => AllocationSource::CreditNote(InvoiceId(c)),
        _ => return Err(corrupt(T, "payment_id", "both or neither of payment_id, credit_note_id")),
    };
    Ok(StoredAllocation {
        id: AllocationId(row.int(n.id)?),
        invoice_id: InvoiceId(row.int(n.invoice_id)?),
        invoice_number: row.string(n.invoice_number)?,
        source,
        credit_note_number: opt_text(row, n.credit_note_number)?,
        amount: Money::from_minor(row.int(n.amount_minor)?, cur),
        effective_date: date(row, T, n.effective_date)?,
        created_at: row.int(n.created_at)?,
        created_by: row.string(n.created_by)?,
    })
}

/// Appends ` AND {column} IN ($a, $b, …)` for the given values.
fn push_in<'a, T>(qb: &mut QueryBuilder<DB>, column: &str, values: impl IntoIterator<Item = T>)
where
    T: 'a + sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    qb.push(" AND ");
    qb.push(column);
    qb.push(" IN (");
    let mut sep = qb.separated(", ");
    for v in values {
        sep.push_bind(v);
    }
    sep.push_unseparated(")");
}

/// The statement of [`Tx::find_invoice_with_allocations`]; binds `$1` the organisation and `$2`
/// the item's number. One row for the item (part 0), then one per allocation (part 1) oldest
/// first; each row leaves the other part's columns NULL. The item's id is looked up once per
/// branch by its number.
fn invoice_with_allocations_sql() -> &'static str {
    macro_rules! no_invoice {
        () => {
            ", 1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, \
             NULL, NULL, NULL, NULL, NULL, NULL"
        };
    }
    const ITEM: &str =
        "(SELECT x.id FROM invoices x WHERE x.organisation_id = $1 AND x.number = $2)";
    static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        format!(
            "SELECT CAST(NULL AS BIGINT) AS alloc_id, CAST(NULL AS BIGINT) AS alloc_invoice_id, \
             CAST(NULL AS TEXT) AS alloc_invoice_number, CAST(NULL AS BIGINT) AS alloc_payment_id, \
             CAST(NULL AS BIGINT) AS alloc_credit_note_id, \
             CAST(NULL AS TEXT) AS alloc_credit_note_number, \
             CAST(NULL AS BIGINT) AS alloc_amount_minor, CAST(NULL AS TEXT) AS alloc_currency, \
             CAST(NULL AS TEXT) AS alloc_effective_date, CAST(NULL AS BIGINT) AS alloc_created_at, \
             CAST(NULL AS TEXT) AS alloc_created_by, CAST(0 AS BIGINT) AS part, {INVOICE_COLUMNS}\
             {INVOICE_FROM} WHERE i.organisation_id = $1 AND i.number = $2 \
             UNION ALL {by_invoice} WHERE a.organisation_id = $1 AND a.invoice_id = {ITEM} \
             UNION ALL {by_credit_note} WHERE a.organisation_id = $1 AND a.credit_note_id = {ITEM} \
             ORDER BY part, alloc_effective_date, alloc_id",
            by_invoice = allocation_select!(alloc_by_invoice!(), no_invoice!()),
            by_credit_note = allocation_select!(alloc_by_credit_note!(), no_invoice!()),
        )
    });
    SQL.as_str()
}

/// Gathers the rows of [`invoice_with_allocations_sql`] as they come.
#[derive(Default)]
struct InvoiceWithAllocations {
    invoice: Option<StoredInvoice>,
    allocations: Vec<StoredAllocation>,
}

impl InvoiceWithAllocations {
    fn push(&mut self, row: &impl Cells) -> Result<(), StoreError> {
        if self.invoice.is_some() {
            self.allocations.push(decode_allocation_named(row, &ALLOCATION_NAMES_BESIDE_INVOICE)?);
        } else if row.int("part")? == 0 {
            self.invoice = Some(decode_invoice(row)?);
        } else {
            return Err(corrupt("allocations", "invoice_id", "an allocation without its item"));
        }
        Ok(())
    }

    fn finish(self) -> Option<ItemWithAllocations> {
        self.invoice.map(|invoice| (invoice, self.allocations))
    }
}

impl Tx {
    pub(crate) fn new(tx: sqlx::Transaction<'static, DB>) -> Tx {
        Tx { tx: Session::Transaction(tx), after_commit: None }
    }

    pub(crate) fn autocommit(conn: sqlx::pool::PoolConnection<DB>) -> Tx {
        Tx { tx: Session::Autocommit(conn), after_commit: None }
    }

    fn conn(&mut self) -> &mut Conn {
        match &mut self.tx {
            Session::Transaction(tx) => tx,
            Session::Autocommit(conn) => conn,
        }
    }

    /// Makes every write of this transaction durable (for an autocommit session: nothing to do).
    ///
    /// # Errors
    /// [`StoreError::Database`] when the commit fails; nothing of the transaction is kept then.
    pub async fn commit(self) -> Result<(), StoreError> {
        if let Session::Transaction(tx) = self.tx {
            tx.commit().await?;
            if let Some(after) = &self.after_commit {
                after();
            }
        }
        Ok(())
    }

    /// Discards every write of this transaction (for an autocommit session: nothing to do).
    ///
    /// # Errors
    /// [`StoreError::Database`] when the database cannot be reached.
    pub async fn rollback(self) -> Result<(), StoreError> {
        if let Session::Transaction(tx) = self.tx {
            tx.rollback().await?;
        }
        Ok(())
    }

    // ---------------------------------------------------------------- organisations, counters

    /// Inserts an organisation and returns its id.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] when the slug is taken.
    pub async fn insert_organisation(
        &mut self,
        org: &Organisation,
        at: i64,
    ) -> Result<OrganisationId, StoreError> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO organisations (slug, name, country, time_zone, language, currency, iban, \
             bic, enterprise_number, kvk_number, vat_number, reference_scheme, created_at, \
             updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13) \
             RETURNING id",
        )
        .bind(org.slug.as_str())
        .bind(&org.name)
        .bind(org.country.as_str())
        .bind(&org.time_zone)
        .bind(org.language.as_str())
        .bind(org.currency.code())
        .bind(&org.iban)
        .bind(&org.bic)
        .bind(&org.enterprise_number)
        .bind(&org.kvk_number)
        .bind(&org.vat_number)
        .bind(org.reference_scheme.as_str())
        .bind(at)
        .fetch_one(self.conn())
        .await
        .map_err(|e| StoreError::from_unique(e, "organisation", org.slug.as_str()))?;
        Ok(OrganisationId(id))
    }

    /// Updates an organisation's settings (not its slug).
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when it does not exist.
    pub async fn update_organisation(
        &mut self,
        id: OrganisationId,
        org: &Organisation,
        at: i64,
    ) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE organisations SET name = $2, country = $3, time_zone = $4, language = $5, \
             currency = $6, iban = $7, bic = $8, enterprise_number = $9, kvk_number = $10, \
             vat_number = $11, reference_scheme = $12, updated_at = $13 WHERE id = $1",
        )
        .bind(id.0)
        .bind(&org.name)
        .bind(org.country.as_str())
        .bind(&org.time_zone)
        .bind(org.language.as_str())
        .bind(org.currency.code())
        .bind(&org.iban)
        .bind(&org.bic)
        .bind(&org.enterprise_number)
        .bind(&org.kvk_number)
        .bind(&org.vat_number)
        .bind(org.reference_scheme.as_str())
        .bind(at)
        .execute(self.conn())
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound { entity: "organisation", key: id.to_string() });
        }
        Ok(())
    }

    /// # Errors
    /// [`StoreError::Database`].
    pub async fn find_organisation_by_slug(
        &mut self,
        slug: &str,
    ) -> Result<Option<StoredOrganisation>, StoreError> {
        let sql = format!("SELECT {ORG_COLUMNS} FROM organisations WHERE slug = $1");
        let row =
            sqlx::query(sqlx::AssertSqlSafe(sql)).bind(slug).fetch_optional(self.conn()).await?;
        row.as_ref().map(decode_organisation).transpose()
    }

    /// # Errors
    /// [`StoreError::NotFound`] when there is no such organisation.
    pub async fn get_organisation(
        &mut self,
        id: OrganisationId,
    ) -> Result<StoredOrganisation, StoreError> {
        let sql = format!("SELECT {ORG_COLUMNS} FROM organisations WHERE id = $1");
        let row =
            sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id.0).fetch_optional(self.conn()).await?;
        match row {
            Some(r) => decode_organisation(&r),
            None => Err(StoreError::NotFound { entity: "organisation", key: id.to_string() }),
        }
    }

    /// Every organisation, by slug.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn list_organisations(&mut self) -> Result<Vec<StoredOrganisation>, StoreError> {
        let sql = format!("SELECT {ORG_COLUMNS} FROM organisations ORDER BY slug");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(self.conn()).await?;
        rows.iter().map(decode_organisation).collect()
    }

    /// Reserves `n` consecutive values of the organisation's counter `entity` and returns the
    /// first. Counters start at 1.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn reserve_ids(
        &mut self,
        org: OrganisationId,
        entity: &str,
        n: u64,
    ) -> Result<i64, StoreError> {
        let n = i64::try_from(n).map_err(|_| StoreError::Invalid("id block too large".into()))?;
        sqlx::query(
            "INSERT INTO id_counters (organisation_id, entity, next_id) VALUES ($1, $2, 1) \
             ON CONFLICT (organisation_id, entity) DO NOTHING",
        )
        .bind(org.0)
        .bind(entity)
        .execute(self.conn())
        .await?;
        let next: i64 = sqlx::query_scalar(
            "UPDATE id_counters SET next_id = next_id + $3 \
             WHERE organisation_id = $1 AND entity = $2 RETURNING next_id",
        )
        .bind(org.0)
        .bind(entity)
        .bind(n)
        .fetch_one(self.conn())
        .await?;
        Ok(next - n)
    }

    // ---------------------------------------------------------------- tokens, audit, idempotency

    /// # Errors
    /// [`StoreError::Database`].
    pub async fn insert_api_token(
        &mut self,
        org: OrganisationId,
        id: TokenId,
        name: &str,
        secret_sha256: &str,
        created_by: &str,
        at: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO api_tokens (organisation_id, id, name, secret_sha256, created_at, \
             created_by) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(org.0)
        .bind(id.0)
        .bind(name)
        .bind(secret_sha256)
        .bind(at)
        .bind(created_by)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// The live (not revoked) token of `org` whose secret hashes to `secret_sha256`.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn find_api_token(
        &mut self,
        org: OrganisationId,
        secret_sha256: &str,
    ) -> Result<Option<StoredToken>, StoreError> {
        let row = sqlx::query(
            "SELECT organisation_id, id, name, created_at, revoked_at, created_by FROM api_tokens \
             WHERE organisation_id = $1 AND secret_sha256 = $2 AND revoked_at IS NULL",
        )
        .bind(org.0)
        .bind(secret_sha256)
        .fetch_optional(self.conn())
        .await?;
        row.as_ref().map(decode_token).transpose()
    }

    /// Appends audit entries (ids are reserved here).
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn insert_audit(
        &mut self,
        org: OrganisationId,
        entries: &[AuditEntry],
    ) -> Result<(), StoreError> {
        if entries.is_empty() {
            return Ok(());
        }
        let mut next = self.reserve_ids(org, "audit", entries.len() as u64).await?;
        for chunk in entries.chunks(BATCH_ROWS_MAX) {
            let mut qb = QueryBuilder::<DB>::new(
                "INSERT INTO audit_log (organisation_id, id, at, actor, action, entity, \
                 entity_key, details) ",
            );
            qb.push_values(chunk, |mut b, e| {
                b.push_bind(org.0)
                    .push_bind(next)
                    .push_bind(e.at)
                    .push_bind(e.actor.clone())
                    .push_bind(e.action.clone())
                    .push_bind(e.entity.clone())
                    .push_bind(e.entity_key.clone())
                    .push_bind(e.details.to_string());
                next += 1;
            });
            qb.build().execute(self.conn()).await?;
        }
        Ok(())
    }

    /// The newest audit entries first, optionally for one entity.
    ///
    /// # Errors
    /// [`StoreError::Database`] or [`StoreError::Corrupt`].
    pub async fn list_audit(
        &mut self,
        org: OrganisationId,
        entity: Option<(&str, &str)>,
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
        if let Some((entity, key)) = entity {
            qb.push(" AND entity = ").push_bind(entity.to_owned());
            qb.push(" AND entity_key = ").push_bind(key.to_owned());
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

    /// # Errors
    /// [`StoreError::Database`].
    pub async fn find_idempotency(
        &mut self,
        org: OrganisationId,
        key: &str,
    ) -> Result<Option<StoredIdempotency>, StoreError> {
        let row = sqlx::query(
            "SELECT request_sha256, status, body FROM idempotency_keys \
             WHERE organisation_id = $1 AND idempotency_key = $2",
        )
        .bind(org.0)
        .bind(key)
        .fetch_optional(self.conn())
        .await?;
        row.map(|r| -> Result<StoredIdempotency, StoreError> {
            let status: i64 = r.try_get("status")?;
            Ok(StoredIdempotency {
                request_sha256: r.try_get("request_sha256")?,
                status: u16::try_from(status)
                    .map_err(|_| corrupt("idempotency_keys", "status", status))?,
                body: r.try_get("body")?,
            })
        })
        .transpose()
    }

    /// # Errors
    /// [`StoreError::Conflict`] when the key was stored meanwhile.
    pub async fn insert_idempotency(
        &mut self,
        org: OrganisationId,
        key: &str,
        value: &StoredIdempotency,
        at: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO idempotency_keys (organisation_id, idempotency_key, request_sha256, \
             status, body, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(org.0)
        .bind(key)
        .bind(&value.request_sha256)
        .bind(i64::from(value.status))
        .bind(&value.body)
        .bind(at)
        .execute(self.conn())
        .await
        .map_err(|e| StoreError::from_unique(e, "idempotency_key", key))?;
        Ok(())
    }

    /// # Errors
    /// [`StoreError::Database`].
    pub async fn insert_import_record(
        &mut self,
        org: OrganisationId,
        record: &ImportRecord,
    ) -> Result<(), StoreError> {
        let id = self.reserve_ids(org, "import", 1).await?;
        sqlx::query(
            "INSERT INTO imports (organisation_id, id, kind, file_name, file_sha256, at, actor, \
             created, updated, unchanged) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(org.0)
        .bind(id)
        .bind(&record.kind)
        .bind(&record.file_name)
        .bind(&record.file_sha256)
        .bind(record.at)
        .bind(&record.actor)
        .bind(i64::try_from(record.created).unwrap_or(i64::MAX))
        .bind(i64::try_from(record.updated).unwrap_or(i64::MAX))
        .bind(i64::try_from(record.unchanged).unwrap_or(i64::MAX))
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// Row counts of one organisation.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn counts(&mut self, org: OrganisationId) -> Result<Counts, StoreError> {
        let row = sqlx::query(
            "SELECT \
             (SELECT CAST(COUNT(*) AS BIGINT) FROM debtors WHERE organisation_id = $1) AS d, \
             (SELECT CAST(COUNT(*) AS BIGINT) FROM invoices WHERE organisation_id = $1) AS i, \
             (SELECT CAST(COUNT(*) AS BIGINT) FROM payments WHERE organisation_id = $1) AS p, \
             (SELECT CAST(COUNT(*) AS BIGINT) FROM allocations WHERE organisation_id = $1) AS a",
        )
        .bind(org.0)
        .fetch_one(self.conn())
        .await?;
        Ok(Counts {
            debtors: count(row.try_get("d")?),
            invoices: count(row.try_get("i")?),
            payments: count(row.try_get("p")?),
            allocations: count(row.try_get("a")?),
        })
    }

    // ---------------------------------------------------------------- debtors

    /// Fills contacts, IBANs and segments of the given debtors.
    async fn load_debtor_children(
        &mut self,
        org: OrganisationId,
        debtors: &mut [StoredDebtor],
    ) -> Result<(), StoreError> {
        if debtors.is_empty() {
            return Ok(());
        }
        let index: HashMap<i64, usize> =
            debtors.iter().enumerate().map(|(i, d)| (d.id.0, i)).collect();
        let ids: Vec<i64> = debtors.iter().map(|d| d.id.0).collect();
        for chunk in ids.chunks(BATCH_ROWS_MAX) {
            let mut qb = QueryBuilder::<DB>::new(
                "SELECT debtor_id, channel, value, purpose FROM debtor_contacts \
                 WHERE organisation_id = ",
            );
            qb.push_bind(org.0);
            push_in(&mut qb, "debtor_id", chunk.iter().copied());
            qb.push(" ORDER BY debtor_id, channel, position");
            for r in qb.build().fetch_all(self.conn()).await? {
                let id: i64 = r.try_get("debtor_id")?;
                let channel: String = r.try_get("channel")?;
                let contact = Contact {
                    value: r.try_get("value")?,
                    purpose: text::<ContactPurpose>(&r, "debtor_contacts", "purpose")?,
                };
                if let Some(d) = index.get(&id).and_then(|&i| debtors.get_mut(i)) {
                    match channel.as_str() {
                        "email" => d.debtor.emails.push(contact),
                        "phone" => d.debtor.phones.push(contact),
                        other => return Err(corrupt("debtor_contacts", "channel", other)),
                    }
                }
            }
            let mut qb = QueryBuilder::<DB>::new(
                "SELECT debtor_id, iban FROM debtor_ibans WHERE organisation_id = ",
            );
            qb.push_bind(org.0);
            push_in(&mut qb, "debtor_id", chunk.iter().copied());
            qb.push(" ORDER BY debtor_id, position");
            for r in qb.build().fetch_all(self.conn()).await? {
                let id: i64 = r.try_get("debtor_id")?;
                if let Some(d) = index.get(&id).and_then(|&i| debtors.get_mut(i)) {
                    d.debtor.ibans.push(r.try_get("iban")?);
                }
            }
            let mut qb = QueryBuilder::<DB>::new(
                "SELECT debtor_id, segment FROM debtor_segments WHERE organisation_id = ",
            );
            qb.push_bind(org.0);
            push_in(&mut qb, "debtor_id", chunk.iter().copied());
            qb.push(" ORDER BY debtor_id, position");
            for r in qb.build().fetch_all(self.conn()).await? {
                let id: i64 = r.try_get("debtor_id")?;
                if let Some(d) = index.get(&id).and_then(|&i| debtors.get_mut(i)) {
                    d.debtor.segments.push(r.try_get("segment")?);
                }
            }
        }
        Ok(())
    }

    /// The debtors with the given numbers that exist, by number.
    ///
    /// # Errors
    /// [`StoreError::Database`] or [`StoreError::Corrupt`].
    pub async fn find_debtors_by_numbers(
        &mut self,
        org: OrganisationId,
        numbers: &[&str],
    ) -> Result<HashMap<String, StoredDebtor>, StoreError> {
        let mut found = Vec::new();
        for chunk in numbers.chunks(BATCH_ROWS_MAX) {
            let mut qb = QueryBuilder::<DB>::new(format!(
                "SELECT {DEBTOR_COLUMNS} FROM debtors d WHERE d.organisation_id = "
            ));
            qb.push_bind(org.0);
            push_in(&mut qb, "d.number", chunk.iter().map(|s| (*s).to_owned()));
            for r in qb.build().fetch_all(self.conn()).await? {
                found.push(decode_debtor(&r)?);
            }
        }
        self.load_debtor_children(org, &mut found).await?;
        Ok(found.into_iter().map(|d| (d.debtor.number.clone(), d)).collect())
    }

    /// Ids of the debtors with the given numbers that exist, by number.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn find_debtor_ids(
        &mut self,
        org: OrganisationId,
        numbers: &[&str],
    ) -> Result<HashMap<String, DebtorId>, StoreError> {
        let mut out = HashMap::with_capacity(numbers.len());
        for chunk in numbers.chunks(BATCH_ROWS_MAX) {
            let mut qb =
                QueryBuilder::<DB>::new("SELECT id, number FROM debtors WHERE organisation_id = ");
            qb.push_bind(org.0);
            push_in(&mut qb, "number", chunk.iter().map(|s| (*s).to_owned()));
            for r in qb.build().fetch_all(self.conn()).await? {
                out.insert(r.try_get("number")?, DebtorId(r.try_get("id")?));
            }
        }
        Ok(out)
    }

    /// # Errors
    /// [`StoreError::Database`] or [`StoreError::Corrupt`].
    pub async fn find_debtor_by_number(
        &mut self,
        org: OrganisationId,
        number: &str,
    ) -> Result<Option<StoredDebtor>, StoreError> {
        Ok(self.find_debtors_by_numbers(org, &[number]).await?.remove(number))
    }

    /// # Errors
    /// [`StoreError::NotFound`], [`StoreError::Database`] or [`StoreError::Corrupt`].
    pub async fn get_debtor(
        &mut self,
        org: OrganisationId,
        id: DebtorId,
    ) -> Result<StoredDebtor, StoreError> {
        let sql = format!(
            "SELECT {DEBTOR_COLUMNS} FROM debtors d WHERE d.organisation_id = $1 AND d.id = $2"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(org.0)
            .bind(id.0)
            .fetch_optional(self.conn())
            .await?;
        let Some(row) = row else {
            return Err(StoreError::NotFound { entity: "debtor", key: id.to_string() });
        };
        let mut found = vec![decode_debtor(&row)?];
        self.load_debtor_children(org, &mut found).await?;
        found.pop().ok_or(StoreError::NotFound { entity: "debtor", key: id.to_string() })
    }

    /// Debtors matching `filter`, by id, one page.
    ///
    /// # Errors
    /// [`StoreError::Database`] or [`StoreError::Corrupt`].
    pub async fn list_debtors(
        &mut self,
        org: OrganisationId,
        filter: &DebtorFilter,
        page: Page,
    ) -> Result<Vec<StoredDebtor>, StoreError> {
        let mut qb = QueryBuilder::<DB>::new(format!(
            "SELECT {DEBTOR_COLUMNS} FROM debtors d WHERE d.organisation_id = "
        ));
        qb.push_bind(org.0);
        if let Some(after) = page.after {
            qb.push(" AND d.id > ").push_bind(after);
        }
        push_debtor_conditions(&mut qb, org, filter);
        qb.push(" ORDER BY d.id LIMIT ").push_bind(i64::from(page.limit));
        let rows = qb.build().fetch_all(self.conn()).await?;
        let mut out = rows.iter().map(decode_debtor).collect::<Result<Vec<_>, _>>()?;
        self.load_debtor_children(org, &mut out).await?;
        Ok(out)
    }

    /// The accounts the organisation's bank entries arrived on (see the trait's documentation).
    ///
    /// # Errors
    /// [`StoreError::Database`] or [`StoreError::Corrupt`].
    pub async fn bank_accounts(
        &mut self,
        org: OrganisationId,
    ) -> Result<Vec<BankAccountSummary>, StoreError> {
        let rows = sqlx::query(
            "SELECT account, currency, CAST(COUNT(*) AS BIGINT) AS entries, \
             CAST(SUM(CASE WHEN status IN ('review', 'unmatched') THEN 1 ELSE 0 END) AS BIGINT) AS waiting, \
             MIN(booking_date) AS first_booking, MAX(booking_date) AS last_booking, \
             CAST(SUM(amount_minor) AS BIGINT) AS net_minor \
             FROM bank_entries WHERE organisation_id = $1 GROUP BY account, currency \
             ORDER BY account, currency",
        )
        .bind(org.0)
        .fetch_all(self.conn())
        .await?;
        rows.iter()
            .map(|r| {
                let count = |name: &'static str| -> Result<u64, StoreError> {
                    let n: i64 = r.try_get(name)?;
                    u64::try_from(n).map_err(|_| corrupt("bank_entries", name, n))
                };
                Ok(BankAccountSummary {
                    account: r.try_get("account")?,
                    currency: currency(r, "bank_entries", "currency")?,
                    entries: count("entries")?,
                    waiting: count("waiting")?,
                    first_booking: date(r, "bank_entries", "first_booking")?,
                    last_booking: date(r, "bank_entries", "last_booking")?,
                    net_minor: r.try_get("net_minor")?,
                })
            })
            .collect()
    }

    /// The debtors owing the most on `today` (see the trait's documentation).
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn debtors_by_amount(
        &mut self,
        org: OrganisationId,
        currency: Currency,
        today: Date,
        filter: &DebtorFilter,
        overdue_only: bool,
        offset: u32,
        limit: u32,
    ) -> Result<Vec<(DebtorId, i64)>, StoreError> {
        // Read from the report index (open amount included): no allocation is looked up. With a
        // filter, each debtor's sum is made first and the debtors are then looked up once per
        // debtor (not once per open item).
        let filtered = !filter.is_empty();
        let mut qb = QueryBuilder::<DB>::new(if filtered {
            "SELECT v.debtor_id, v.owed FROM (SELECT debtor_id, CAST(SUM(open_minor) AS BIGINT) \
             AS owed FROM invoices WHERE organisation_id = "
        } else {
            "SELECT debtor_id, CAST(SUM(open_minor) AS BIGINT) AS owed FROM invoices \
             WHERE organisation_id = "
        });
        qb.push_bind(org.0)
            .push(" AND settled_on = '9999-12-31' AND kind = 'invoice' AND currency = ")
            .push_bind(currency.code().to_owned());
        if overdue_only {
            qb.push(" AND due_date < ").push_bind(today.to_string());
        }
        if filtered {
            // The matching debtors as one set, read from the segment's index when there is a
            // segment (the most selective start), else from the debtors.
            qb.push(" GROUP BY debtor_id) v WHERE v.debtor_id IN (");
            let rest = match &filter.segment {
                Some(segment) => {
                    qb.push(
                        "SELECT d.id FROM debtor_segments sg JOIN debtors d ON \
                         d.organisation_id = sg.organisation_id AND d.id = sg.debtor_id \
                         WHERE sg.organisation_id = ",
                    )
                    .push_bind(org.0)
                    .push(" AND sg.segment = ")
                    .push_bind(segment.clone());
                    DebtorFilter { segment: None, ..filter.clone() }
                }
                None => {
                    qb.push("SELECT d.id FROM debtors d WHERE d.organisation_id = ").push_bind(org.0);
                    filter.clone()
                }
            };
            push_debtor_conditions(&mut qb, org, &rest);
            qb.push(") ORDER BY v.owed DESC, v.debtor_id LIMIT ");
        } else {
            qb.push(" GROUP BY debtor_id ORDER BY owed DESC, debtor_id LIMIT ");
        }
        qb
            .push_bind(i64::from(limit.clamp(1, 1000)))
            .push(" OFFSET ")
            .push_bind(i64::from(offset));
        let rows = qb.build().fetch_all(self.conn()).await?;
        rows.iter()
            .map(|r| Ok((DebtorId(r.try_get("debtor_id")?), r.try_get::<i64, _>("owed")?)))
            .collect()
    }

    async fn insert_debtor_children(
        &mut self,
        org: OrganisationId,
        debtors: &[(DebtorId, &Debtor)],
    ) -> Result<(), StoreError> {
        let mut contacts: Vec<(i64, &'static str, i64, &str, &'static str)> = Vec::new();
        let mut ibans: Vec<(i64, &str, i64)> = Vec::new();
        let mut segments: Vec<(i64, &str, i64)> = Vec::new();
        for (id, d) in debtors {
            for (pos, c) in (0_i64..).zip(&d.emails) {
                contacts.push((id.0, "email", pos, &c.value, c.purpose.as_str()));
            }
            for (pos, c) in (0_i64..).zip(&d.phones) {
                contacts.push((id.0, "phone", pos, &c.value, c.purpose.as_str()));
            }
            let mut seen = std::collections::HashSet::new();
            for (pos, iban) in (0_i64..).zip(&d.ibans) {
                if seen.insert(iban.as_str()) {
                    ibans.push((id.0, iban, pos));
                }
            }
            let mut seen = std::collections::HashSet::new();
            for (pos, s) in (0_i64..).zip(&d.segments) {
                if seen.insert(s.as_str()) {
                    segments.push((id.0, s, pos));
                }
            }
        }
        for chunk in contacts.chunks(BATCH_ROWS_MAX) {
            let mut qb = QueryBuilder::<DB>::new(
                "INSERT INTO debtor_contacts (organisation_id, debtor_id, channel, position, \
                 value, purpose) ",
            );
            qb.push_values(chunk, |mut b, (id, channel, pos, value, purpose)| {
                b.push_bind(org.0)
                    .push_bind(*id)
                    .push_bind(*channel)
                    .push_bind(*pos)
                    .push_bind((*value).to_owned())
                    .push_bind(*purpose);
            });
            qb.build().execute(self.conn()).await?;
        }
        for chunk in ibans.chunks(BATCH_ROWS_MAX) {
            let mut qb = QueryBuilder::<DB>::new(
                "INSERT INTO debtor_ibans (organisation_id, debtor_id, iban, position) ",
            );
            qb.push_values(chunk, |mut b, (id, iban, pos)| {
                b.push_bind(org.0).push_bind(*id).push_bind((*iban).to_owned()).push_bind(*pos);
            });
            qb.build().execute(self.conn()).await?;
        }
        for chunk in segments.chunks(BATCH_ROWS_MAX) {
            let mut qb = QueryBuilder::<DB>::new(
                "INSERT INTO debtor_segments (organisation_id, debtor_id, segment, position) ",
            );
            qb.push_values(chunk, |mut b, (id, s, pos)| {
                b.push_bind(org.0).push_bind(*id).push_bind((*s).to_owned()).push_bind(*pos);
            });
            qb.build().execute(self.conn()).await?;
        }
        Ok(())
    }

    /// Inserts new debtors with the ids the caller reserved.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] when a number exists already.
    pub async fn insert_debtors(
        &mut self,
        org: OrganisationId,
        debtors: &[(DebtorId, &Debtor)],
        at: i64,
    ) -> Result<(), StoreError> {
        for chunk in debtors.chunks(BATCH_ROWS_MAX / 2) {
            let mut qb = QueryBuilder::<DB>::new(
                "INSERT INTO debtors (organisation_id, id, number, name, kind, country, \
                 language, vat_number, enterprise_number, street, postal_code, city, \
                 address_country, owner, credit_limit_minor, credit_limit_currency, \
                 pause_reason, pause_until, created_at, updated_at) ",
            );
            qb.push_values(chunk, |mut b, (id, d)| {
                b.push_bind(org.0)
                    .push_bind(id.0)
                    .push_bind(d.number.clone())
                    .push_bind(d.name.clone())
                    .push_bind(d.kind.as_str())
                    .push_bind(d.country.as_str().to_owned())
                    .push_bind(d.language.as_str())
                    .push_bind(d.vat_number.clone())
                    .push_bind(d.enterprise_number.clone())
                    .push_bind(d.address.street.clone())
                    .push_bind(d.address.postal_code.clone())
                    .push_bind(d.address.city.clone())
                    .push_bind(d.address.country.map(|c| c.as_str().to_owned()))
                    .push_bind(d.owner.clone())
                    .push_bind(d.credit_limit.map(|m| m.minor()))
                    .push_bind(d.credit_limit.map(|m| m.currency().code().to_owned()))
                    .push_bind(d.pause.as_ref().map(|p| p.reason.clone()))
                    .push_bind(d.pause.as_ref().and_then(|p| p.until).map(|u| u.to_string()))
                    .push_bind(at)
                    .push_bind(at);
            });
            qb.build().execute(self.conn()).await.map_err(|e| {
                StoreError::from_unique(e, "debtor", chunk.first().map_or("", |(_, d)| &d.number))
            })?;
        }
        self.insert_debtor_children(org, debtors).await
    }

    /// Replaces every field of a debtor (contacts, IBANs and segments included).
    ///
    /// # Errors
    /// [`StoreError::NotFound`] or [`StoreError::Conflict`] (number taken).
    pub async fn update_debtor(
        &mut self,
        org: OrganisationId,
        id: DebtorId,
        d: &Debtor,
        at: i64,
    ) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE debtors SET number = $3, name = $4, kind = $5, country = $6, language = $7, \
             vat_number = $8, enterprise_number = $9, street = $10, postal_code = $11, \
             city = $12, address_country = $13, owner = $14, credit_limit_minor = $15, \
             credit_limit_currency = $16, pause_reason = $17, pause_until = $18, \
             updated_at = $19 WHERE organisation_id = $1 AND id = $2",
        )
        .bind(org.0)
        .bind(id.0)
        .bind(&d.number)
        .bind(&d.name)
        .bind(d.kind.as_str())
        .bind(d.country.as_str())
        .bind(d.language.as_str())
        .bind(&d.vat_number)
        .bind(&d.enterprise_number)
        .bind(&d.address.street)
        .bind(&d.address.postal_code)
        .bind(&d.address.city)
        .bind(d.address.country.map(|c| c.as_str().to_owned()))
        .bind(&d.owner)
        .bind(d.credit_limit.map(|m| m.minor()))
        .bind(d.credit_limit.map(|m| m.currency().code().to_owned()))
        .bind(d.pause.as_ref().map(|p| p.reason.clone()))
        .bind(d.pause.as_ref().and_then(|p| p.until).map(|u| u.to_string()))
        .bind(at)
        .execute(self.conn())
        .await
        .map_err(|e| StoreError::from_unique(e, "debtor", &d.number))?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound { entity: "debtor", key: id.to_string() });
        }
        for table in ["debtor_contacts", "debtor_ibans", "debtor_segments"] {
            let sql = format!("DELETE FROM {table} WHERE organisation_id = $1 AND debtor_id = $2");
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(org.0)
                .bind(id.0)
                .execute(self.conn())
                .await?;
        }
        self.insert_debtor_children(org, &[(id, d)]).await
    }

    /// Adds an IBAN to a debtor's known accounts (no-op when known).
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn add_debtor_iban(
        &mut self,
        org: OrganisationId,
        id: DebtorId,
        iban: &str,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "INSERT INTO debtor_ibans (organisation_id, debtor_id, iban, position) \
             SELECT $1, $2, $3, CAST(COALESCE(MAX(position) + 1, 0) AS BIGINT) FROM debtor_ibans \
             WHERE organisation_id = $1 AND debtor_id = $2 \
             ON CONFLICT (organisation_id, debtor_id, iban) DO NOTHING",
        )
        .bind(org.0)
        .bind(id.0)
        .bind(iban)
        .execute(self.conn())
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// The debtors that are known to pay from `iban`.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn find_debtor_ids_by_iban(
        &mut self,
        org: OrganisationId,
        iban: &str,
    ) -> Result<Vec<DebtorId>, StoreError> {
        let ids: Vec<i64> = sqlx::query_scalar(
            "SELECT debtor_id FROM debtor_ibans WHERE organisation_id = $1 AND iban = $2 \
             ORDER BY debtor_id",
        )
        .bind(org.0)
        .bind(iban)
        .fetch_all(self.conn())
        .await?;
        Ok(ids.into_iter().map(DebtorId).collect())
    }

    /// The debtors known to pay from each of `ibans`, by IBAN.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn find_debtors_by_ibans(
        &mut self,
        org: OrganisationId,
        ibans: &[&str],
    ) -> Result<HashMap<String, Vec<DebtorId>>, StoreError> {
        let mut out: HashMap<String, Vec<DebtorId>> = HashMap::new();
        for chunk in ibans.chunks(BATCH_ROWS_MAX) {
            let mut qb = QueryBuilder::<DB>::new(
                "SELECT iban, debtor_id FROM debtor_ibans WHERE organisation_id = ",
            );
            qb.push_bind(org.0);
            push_in(&mut qb, "iban", chunk.iter().map(|s| (*s).to_owned()));
            qb.push(" ORDER BY iban, debtor_id");
            for r in qb.build().fetch_all(self.conn()).await? {
                out.entry(r.try_get("iban")?).or_default().push(DebtorId(r.try_get("debtor_id")?));
            }
        }
        Ok(out)
    }

    // ---------------------------------------------------------------- invoices

    /// The invoices and credit notes with the given numbers that exist, by number.
    ///
    /// # Errors
    /// [`StoreError::Database`] or [`StoreError::Corrupt`].
    pub async fn find_invoices_by_numbers(
        &mut self,
        org: OrganisationId,
        numbers: &[&str],
    ) -> Result<HashMap<String, StoredInvoice>, StoreError> {
        let mut out = HashMap::with_capacity(numbers.len());
        for chunk in numbers.chunks(BATCH_ROWS_MAX) {
            let mut qb = QueryBuilder::<DB>::new(format!(
                "SELECT {INVOICE_COLUMNS}{INVOICE_FROM} WHERE i.organisation_id = "
            ));
            qb.push_bind(org.0);
            push_in(&mut qb, "i.number", chunk.iter().map(|s| (*s).to_owned()));
            for r in qb.build().fetch_all(self.conn()).await? {
                let inv = decode_invoice(&r)?;
                out.insert(inv.invoice.number.clone(), inv);
            }
        }
        Ok(out)
    }

    /// # Errors
    /// [`StoreError::Database`] or [`StoreError::Corrupt`].
    pub async fn find_invoice_by_number(
        &mut self,
        org: OrganisationId,
        number: &str,
    ) -> Result<Option<StoredInvoice>, StoreError> {
        let sql = format!(
            "SELECT {INVOICE_COLUMNS}{INVOICE_FROM} WHERE i.organisation_id = $1 AND i.number = $2"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(org.0)
            .bind(number)
            .fetch_optional(self.conn())
            .await?;
        row.as_ref().map(decode_invoice).transpose()
    }

    /// An invoice or credit note by number with its allocations (to it, or made from it), oldest
    /// first: what [`find_invoice_by_number`](Self::find_invoice_by_number) and
    /// [`list_allocations`](Self::list_allocations) give, in one statement (the hot path of
    /// `GET /api/v1/invoices/{number}`: on SQLite each statement is a round trip to the
    /// connection's thread).
    ///
    /// # Errors
    /// [`StoreError::Database`] or [`StoreError::Corrupt`].
    pub async fn find_invoice_with_allocations(
        &mut self,
        org: OrganisationId,
        number: &str,
    ) -> Result<Option<ItemWithAllocations>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(invoice_with_allocations_sql()))
            .bind(org.0)
            .bind(number)
            .fetch_all(self.conn())
            .await?;
        let mut found = InvoiceWithAllocations::default();
        for row in &rows {
            found.push(row)?;
        }
        Ok(found.finish())
    }

    /// # Errors
    /// [`StoreError::NotFound`], [`StoreError::Database`] or [`StoreError::Corrupt`].
    pub async fn get_invoice(
        &mut self,
        org: OrganisationId,
        id: InvoiceId,
    ) -> Result<StoredInvoice, StoreError> {
        let sql = format!(
            "SELECT {INVOICE_COLUMNS}{INVOICE_FROM} WHERE i.organisation_id = $1 AND i.id = $2"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(org.0)
            .bind(id.0)
            .fetch_optional(self.conn())
            .await?;
        match row {
            Some(r) => decode_invoice(&r),
            None => Err(StoreError::NotFound { entity: "invoice", key: id.to_string() }),
        }
    }

    /// Open invoices (not credit notes) whose payment reference is one of `references`.
    ///
    /// # Errors
    /// [`StoreError::Database`] or [`StoreError::Corrupt`].
    pub async fn find_invoices_by_references(
        &mut self,
        org: OrganisationId,
        references: &[&str],
    ) -> Result<Vec<StoredInvoice>, StoreError> {
        let mut out = Vec::new();
        for chunk in references.chunks(BATCH_ROWS_MAX) {
            let mut qb = QueryBuilder::<DB>::new(format!(
                "SELECT {INVOICE_COLUMNS}{INVOICE_FROM} WHERE i.organisation_id = "
            ));
            qb.push_bind(org.0);
            push_in(&mut qb, "i.payment_reference", chunk.iter().map(|s| (*s).to_owned()));
            for r in qb.build().fetch_all(self.conn()).await? {
                out.push(decode_invoice(&r)?);
            }
        }
        Ok(out)
    }

    /// Invoices and credit notes matching `filter`, by id, one page.
    ///
    /// # Errors
    /// [`StoreError::Database`] or [`StoreError::Corrupt`].
    pub async fn list_invoices(
        &mut self,
        org: OrganisationId,
        filter: &InvoiceFilter,
        page: Page,
    ) -> Result<Vec<StoredInvoice>, StoreError> {
        let mut qb = QueryBuilder::<DB>::new(format!(
            "SELECT {INVOICE_COLUMNS}{INVOICE_FROM} WHERE i.organisation_id = "
        ));
        qb.push_bind(org.0);
        if let Some(after) = page.after {
            qb.push(" AND i.id > ").push_bind(after);
        }
        if let Some(debtor) = filter.debtor_id {
            qb.push(" AND i.debtor_id = ").push_bind(debtor.0);
        }
        if let Some(kind) = filter.kind {
            qb.push(" AND i.kind = ").push_bind(kind.as_str());
        }
        match filter.status {
            Some(ItemStatus::Open) => {
                qb.push(" AND i.settled_on = '9999-12-31'");
            }
            Some(ItemStatus::Settled) => {
                qb.push(" AND i.settled_on <> '9999-12-31'");
            }
            None => {}
        }
        if let Some(day) = filter.overdue_on {
            qb.push(" AND i.kind = 'invoice' AND i.settled_on = '9999-12-31' AND i.due_date < ")
                .push_bind(day.to_string());
        }
        if let Some(segment) = &filter.segment {
            qb.push(
                " AND EXISTS (SELECT 1 FROM debtor_segments s WHERE s.organisation_id = \
                 i.organisation_id AND s.debtor_id = i.debtor_id AND s.segment = ",
            )
            .push_bind(segment.clone())
            .push(")");
        }
        if let Some(owner) = &filter.owner {
            qb.push(" AND d.owner = ").push_bind(owner.clone());
        }
        if let Some(cur) = filter.currency {
            qb.push(" AND i.currency = ").push_bind(cur.code().to_owned());
        }
        if let Some(from) = filter.issued_from {
            qb.push(" AND i.issue_date >= ").push_bind(from.to_string());
        }
        if let Some(to) = filter.issued_to {
            qb.push(" AND i.issue_date <= ").push_bind(to.to_string());
        }
        qb.push(" ORDER BY i.id LIMIT ").push_bind(i64::from(page.limit));
        let rows = qb.build().fetch_all(self.conn()).await?;
        rows.iter().map(decode_invoice).collect()
    }

    /// Inserts new invoices and credit notes, fully open.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] when a number exists already. After an error the transaction
    /// may hold part of `rows`: roll it back.
    pub async fn insert_invoices(
        &mut self,
        org: OrganisationId,
        rows: &[NewInvoice<'_>],
        at: i64,
    ) -> Result<(), StoreError> {
        self.insert_invoice_rows(org, rows, None, at).await
    }

    /// Inserts new invoices and credit notes with the balances that the allocations the caller
    /// inserts in the same transaction give them (a bulk load that knows its ledger, and saves
    /// a refresh). [`find_balance_mismatches`](Self::find_balance_mismatches) checks the claim.
    ///
    /// # Errors
    /// [`StoreError::Invalid`] when `balances` does not match `rows`; [`StoreError::Conflict`]
    /// when a number exists already.
    pub async fn insert_invoices_with_balances(
        &mut self,
        org: OrganisationId,
        rows: &[NewInvoice<'_>],
        balances: &[ItemBalance],
        at: i64,
    ) -> Result<(), StoreError> {
        if balances.len() != rows.len() {
            return Err(StoreError::Invalid("one balance per invoice is needed".into()));
        }
        self.insert_invoice_rows(org, rows, Some(balances), at).await
    }

    async fn insert_invoice_rows(
        &mut self,
        org: OrganisationId,
        rows: &[NewInvoice<'_>],
        balances: Option<&[ItemBalance]>,
        at: i64,
    ) -> Result<(), StoreError> {
        // 19 values a row, 32,300 a statement: within SQLite's 32,766 and PostgreSQL's 65,535.
        const CHUNK: usize = 1700;
        const INSERT: &str = concat!(
            bulk_insert!(),
            " INTO invoices (organisation_id, id, number, debtor_id, kind, \
             issue_date, due_date, currency, amount_minor, amount_excl_vat_minor, \
             payment_reference, reference_scheme, description, external_id, credits_invoice_id, \
             open_minor, settled_on, created_at, updated_at) "
        );
        // The statement of chunk n + 1 is made while chunk n's runs on the connection's thread
        // (SQLite) or the server (PostgreSQL): the two overlap on two cores.
        let statement = |n: usize| -> Option<QueryBuilder<DB>> {
            let offset = n.checked_mul(CHUNK)?;
            let chunk = rows.get(offset..)?.chunks(CHUNK).next()?;
            let mut qb = QueryBuilder::<DB>::new(INSERT);
            qb.push_values(chunk.iter().enumerate(), |mut b, (k, r)| {
                let inv = r.invoice;
                let scheme = inv
                    .payment_reference
                    .as_deref()
                    .and_then(|p| arflow_core::reference::check(p).ok())
                    .map(|p| p.scheme.as_str());
                let (open, settled) = match balances.and_then(|list| list.get(offset + k)) {
                    Some(bal) => (
                        bal.open_minor,
                        bal.settled_on.map_or_else(|| OPEN_SENTINEL.to_owned(), |d| d.to_string()),
                    ),
                    None => (inv.amount.minor(), OPEN_SENTINEL.to_owned()),
                };
                b.push_bind(org.0)
                    .push_bind(r.id.0)
                    .push_bind(inv.number.clone())
                    .push_bind(r.debtor_id.0)
                    .push_bind(inv.kind.as_str())
                    .push_bind(inv.issue_date.to_string())
                    .push_bind(inv.due_date.to_string())
                    .push_bind(inv.amount.currency().code().to_owned())
                    .push_bind(inv.amount.minor())
                    .push_bind(inv.amount_excl_vat.map(|m| m.minor()))
                    .push_bind(inv.payment_reference.clone())
                    .push_bind(scheme)
                    .push_bind(inv.description.clone())
                    .push_bind(inv.external_id.clone())
                    .push_bind(r.credits_invoice_id.map(|i| i.0))
                    .push_bind(open)
                    .push_bind(settled)
                    .push_bind(at)
                    .push_bind(at);
            });
            Some(qb)
        };
        let mut next = statement(0);
        let mut n = 0;
        while let Some(mut qb) = next.take() {
            // `join` polls in order: the insert is handed to the connection before the next
            // statement is made.
            let (done, following) = futures_util::future::join(
                qb.build().execute(self.conn()),
                async { statement(n + 1) },
            )
            .await;
            done.map_err(|e| {
                StoreError::from_unique(
                    e,
                    "invoice",
                    rows.get(n * CHUNK).map_or("", |r| &r.invoice.number),
                )
            })?;
            next = following;
            n += 1;
        }
        self.add_sales_to_ledger_days(org, rows).await
    }

    /// Adds what `rows` invoice (credit notes subtracting) to their issue days in `ledger_days`:
    /// one upsert per batch of days. This is the insert half of what migration 0008's triggers
    /// did row by row (0013 dropped the insert trigger; updates and deletes keep theirs), so
    /// every insert of invoices must come through [`insert_invoice_rows`](Self::insert_invoice_rows).
    async fn add_sales_to_ledger_days(
        &mut self,
        org: OrganisationId,
        rows: &[NewInvoice<'_>],
    ) -> Result<(), StoreError> {
        let mut days: std::collections::BTreeMap<(String, Date), i64> =
            std::collections::BTreeMap::new();
        for r in rows {
            let inv = r.invoice;
            let key = (inv.amount.currency().code().to_owned(), inv.issue_date);
            let sum = days.entry(key).or_insert(0);
            *sum = sum.checked_add(inv.amount.minor()).ok_or_else(|| {
                StoreError::Invalid("the day's sales do not fit in 64 bits".into())
            })?;
        }
        let days: Vec<_> = days.into_iter().collect();
        for chunk in days.chunks(BATCH_ROWS_MAX / 5) {
            let mut qb = QueryBuilder::<DB>::new(
                "INSERT INTO ledger_days (organisation_id, currency, day, sales_minor, \
                 payments_minor) ",
            );
            qb.push_values(chunk, |mut b, ((currency, day), sum)| {
                b.push_bind(org.0)
                    .push_bind(currency.clone())
                    .push_bind(day.to_string())
                    .push_bind(*sum)
                    .push_bind(0_i64);
            });
            qb.push(
                " ON CONFLICT (organisation_id, currency, day) DO UPDATE SET \
                 sales_minor = ledger_days.sales_minor + excluded.sales_minor",
            );
            qb.build().execute(self.conn()).await?;
        }
        Ok(())
    }

    /// Replaces the fields of an invoice; its balance is refreshed.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] or [`StoreError::Conflict`].
    pub async fn update_invoice(
        &mut self,
        org: OrganisationId,
        row: NewInvoice<'_>,
        at: i64,
    ) -> Result<(), StoreError> {
        let inv = row.invoice;
        let scheme = inv
            .payment_reference
            .as_deref()
            .and_then(|p| arflow_core::reference::check(p).ok())
            .map(|p| p.scheme.as_str());
        let done = sqlx::query(
            "UPDATE invoices SET number = $3, debtor_id = $4, kind = $5, issue_date = $6, \
             due_date = $7, currency = $8, amount_minor = $9, amount_excl_vat_minor = $10, \
             payment_reference = $11, reference_scheme = $12, description = $13, \
             external_id = $14, credits_invoice_id = $15, updated_at = $16 \
             WHERE organisation_id = $1 AND id = $2",
        )
        .bind(org.0)
        .bind(row.id.0)
        .bind(&inv.number)
        .bind(row.debtor_id.0)
        .bind(inv.kind.as_str())
        .bind(inv.issue_date.to_string())
        .bind(inv.due_date.to_string())
        .bind(inv.amount.currency().code())
        .bind(inv.amount.minor())
        .bind(inv.amount_excl_vat.map(|m| m.minor()))
        .bind(&inv.payment_reference)
        .bind(scheme)
        .bind(&inv.description)
        .bind(&inv.external_id)
        .bind(row.credits_invoice_id.map(|i| i.0))
        .bind(at)
        .execute(self.conn())
        .await
        .map_err(|e| StoreError::from_unique(e, "invoice", &inv.number))?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound { entity: "invoice", key: inv.number.clone() });
        }
        self.refresh_balances(org, &[row.id], &[]).await
    }

    /// Stores (or replaces) the PDF of an invoice.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn put_invoice_document(
        &mut self,
        org: OrganisationId,
        id: InvoiceId,
        content_type: &str,
        file_name: &str,
        content: &[u8],
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO invoice_documents (organisation_id, invoice_id, content_type, \
             file_name, content) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (organisation_id, invoice_id) DO UPDATE SET \
             content_type = excluded.content_type, file_name = excluded.file_name, \
             content = excluded.content",
        )
        .bind(org.0)
        .bind(id.0)
        .bind(content_type)
        .bind(file_name)
        .bind(content)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// The PDF of an invoice: content type, file name, bytes.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn find_invoice_document(
        &mut self,
        org: OrganisationId,
        id: InvoiceId,
    ) -> Result<Option<(String, String, Vec<u8>)>, StoreError> {
        let row = sqlx::query(
            "SELECT content_type, file_name, content FROM invoice_documents \
             WHERE organisation_id = $1 AND invoice_id = $2",
        )
        .bind(org.0)
        .bind(id.0)
        .fetch_optional(self.conn())
        .await?;
        row.map(|r| -> Result<_, StoreError> {
            Ok((r.try_get("content_type")?, r.try_get("file_name")?, r.try_get("content")?))
        })
        .transpose()
    }

    // ---------------------------------------------------------------- payments, allocations

    /// Stored payments with the given external ids, by external id.
    ///
    /// # Errors
    /// [`StoreError::Database`] or [`StoreError::Corrupt`].
    pub async fn find_payments_by_external_ids(
        &mut self,
        org: OrganisationId,
        external_ids: &[&str],
    ) -> Result<HashMap<String, StoredPayment>, StoreError> {
        let mut out = HashMap::new();
        for chunk in external_ids.chunks(BATCH_ROWS_MAX) {
            let mut qb = QueryBuilder::<DB>::new(format!(
                "SELECT {PAYMENT_COLUMNS} FROM payments p WHERE p.organisation_id = "
            ));
            qb.push_bind(org.0);
            push_in(&mut qb, "p.external_id", chunk.iter().map(|s| (*s).to_owned()));
            for r in qb.build().fetch_all(self.conn()).await? {
                let p = decode_payment(&r)?;
                out.insert(p.payment.external_id.clone(), p);
            }
        }
        Ok(out)
    }

    /// # Errors
    /// [`StoreError::NotFound`], [`StoreError::Database`] or [`StoreError::Corrupt`].
    pub async fn get_payment(
        &mut self,
        org: OrganisationId,
        id: PaymentId,
    ) -> Result<StoredPayment, StoreError> {
        let sql = format!(
            "SELECT {PAYMENT_COLUMNS} FROM payments p WHERE p.organisation_id = $1 AND p.id = $2"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(org.0)
            .bind(id.0)
            .fetch_optional(self.conn())
            .await?;
        match row {
            Some(r) => decode_payment(&r),
            None => Err(StoreError::NotFound { entity: "payment", key: id.to_string() }),
        }
    }

    /// Payments matching `filter`, by id, one page.
    ///
    /// # Errors
    /// [`StoreError::Database`] or [`StoreError::Corrupt`].
    pub async fn list_payments(
        &mut self,
        org: OrganisationId,
        filter: &PaymentFilter,
        page: Page,
    ) -> Result<Vec<StoredPayment>, StoreError> {
        let mut qb = QueryBuilder::<DB>::new(format!(
            "SELECT {PAYMENT_COLUMNS} FROM payments p WHERE p.organisation_id = "
        ));
        qb.push_bind(org.0);
        if let Some(after) = page.after {
            qb.push(" AND p.id > ").push_bind(after);
        }
        if let Some(d) = filter.debtor_id {
            qb.push(" AND p.debtor_id = ").push_bind(d.0);
        }
        match filter.unapplied {
            Some(true) => {
                qb.push(" AND p.unapplied_minor <> 0");
            }
            Some(false) => {
                qb.push(" AND p.unapplied_minor = 0");
            }
            None => {}
        }
        if let Some(from) = filter.from {
            qb.push(" AND p.payment_date >= ").push_bind(from.to_string());
        }
        if let Some(to) = filter.to {
            qb.push(" AND p.payment_date <= ").push_bind(to.to_string());
        }
        qb.push(" ORDER BY p.id LIMIT ").push_bind(i64::from(page.limit));
        let rows = qb.build().fetch_all(self.conn()).await?;
        rows.iter().map(decode_payment).collect()
    }

    /// Inserts new payments, fully unapplied.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] when an external id exists already.
    pub async fn insert_payments(
        &mut self,
        org: OrganisationId,
        rows: &[NewPayment<'_>],
        at: i64,
    ) -> Result<(), StoreError> {
        self.insert_payment_rows(org, rows, None, at).await
    }

    /// Inserts new payments with what is left unapplied once the allocations the caller inserts
    /// in the same transaction are counted (a bulk load; see
    /// [`insert_invoices_with_balances`](Self::insert_invoices_with_balances)).
    ///
    /// # Errors
    /// [`StoreError::Invalid`] when `unapplied_minor` does not match `rows`;
    /// [`StoreError::Conflict`] when an external id exists already.
    pub async fn insert_payments_with_unapplied(
        &mut self,
        org: OrganisationId,
        rows: &[NewPayment<'_>],
        unapplied_minor: &[i64],
        at: i64,
    ) -> Result<(), StoreError> {
        if unapplied_minor.len() != rows.len() {
            return Err(StoreError::Invalid("one unapplied amount per payment is needed".into()));
        }
        self.insert_payment_rows(org, rows, Some(unapplied_minor), at).await
    }

    async fn insert_payment_rows(
        &mut self,
        org: OrganisationId,
        rows: &[NewPayment<'_>],
        unapplied: Option<&[i64]>,
        at: i64,
    ) -> Result<(), StoreError> {
        const CHUNK: usize = BATCH_ROWS_MAX / 2;
        for (n, chunk) in rows.chunks(CHUNK).enumerate() {
            let offset = n * CHUNK;
            let mut qb = QueryBuilder::<DB>::new(
                "INSERT INTO payments (organisation_id, id, payment_date, amount_minor, currency, \
                 reference, counterparty_iban, counterparty_name, source, invoice_number, \
                 external_id, debtor_id, unapplied_minor, created_at) ",
            );
            qb.push_values(chunk.iter().enumerate(), |mut b, (k, r)| {
                let p = r.payment;
                let left = unapplied.and_then(|u| u.get(offset + k)).copied();
                b.push_bind(org.0)
                    .push_bind(r.id.0)
                    .push_bind(p.date.to_string())
                    .push_bind(p.amount.minor())
                    .push_bind(p.amount.currency().code().to_owned())
                    .push_bind(p.reference.clone())
                    .push_bind(p.counterparty_iban.clone())
                    .push_bind(p.counterparty_name.clone())
                    .push_bind(p.source.as_str())
                    .push_bind(p.invoice_number.clone())
                    .push_bind(p.external_id.clone())
                    .push_bind(r.debtor_id.map(|d| d.0))
                    .push_bind(left.unwrap_or(p.amount.minor()))
                    .push_bind(at);
            });
            qb.build().execute(self.conn()).await.map_err(|e| {
                StoreError::from_unique(
                    e,
                    "payment",
                    chunk.first().map_or("", |r| &r.payment.external_id),
                )
            })?;
        }
        Ok(())
    }

    /// Attributes a payment to a debtor.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn set_payment_debtor(
        &mut self,
        org: OrganisationId,
        id: PaymentId,
        debtor: Option<DebtorId>,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE payments SET debtor_id = $3 WHERE organisation_id = $1 AND id = $2")
            .bind(org.0)
            .bind(id.0)
            .bind(debtor.map(|d| d.0))
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// Inserts allocations. Balances are not refreshed here: call
    /// [`refresh_balances`](Self::refresh_balances) for the touched items.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn insert_allocations(
        &mut self,
        org: OrganisationId,
        rows: &[NewAllocation],
        at: i64,
    ) -> Result<(), StoreError> {
        for chunk in rows.chunks(BATCH_ROWS_MAX / 2) {
            let mut qb = QueryBuilder::<DB>::new(
                "INSERT INTO allocations (organisation_id, id, invoice_id, payment_id, \
                 credit_note_id, amount_minor, currency, source_date, effective_date, created_at, created_by) ",
            );
            qb.push_values(chunk, |mut b, a| {
                let (payment, credit_note) = match a.source {
                    AllocationSource::Payment(p) => (Some(p.0), None),
                    AllocationSource::CreditNote(c) => (None, Some(c.0)),
                };
                b.push_bind(org.0)
                    .push_bind(a.id.0)
                    .push_bind(a.invoice_id.0)
                    .push_bind(payment)
                    .push_bind(credit_note)
                    .push_bind(a.amount_minor)
                    .push_bind(a.currency.code().to_owned())
                    .push_bind(a.source_date.to_string())
                    .push_bind(a.effective_date.to_string())
                    .push_bind(at)
                    .push_bind(a.created_by.clone());
            });
            qb.build().execute(self.conn()).await?;
        }
        Ok(())
    }

    /// Allocations of one invoice, credit note or payment, oldest first.
    ///
    /// # Errors
    /// [`StoreError::Database`] or [`StoreError::Corrupt`].
    pub async fn list_allocations(
        &mut self,
        org: OrganisationId,
        of: AllocationsOf,
    ) -> Result<Vec<StoredAllocation>, StoreError> {
        let mut qb =
            QueryBuilder::<DB>::new(concat!(allocation_select!(), " WHERE a.organisation_id = "));
        qb.push_bind(org.0);
        match of {
            AllocationsOf::Item(id) => {
                // Two index look-ups (an OR of the two columns would scan).
                qb.push(" AND a.invoice_id = ").push_bind(id.0);
                qb.push(concat!(
                    " UNION ALL ",
                    allocation_select!(),
                    " WHERE a.organisation_id = "
                ));
                qb.push_bind(org.0);
                qb.push(" AND a.credit_note_id = ").push_bind(id.0);
            }
            AllocationsOf::Payment(id) => {
                qb.push(" AND a.payment_id = ").push_bind(id.0);
            }
            AllocationsOf::Id(id) => {
                qb.push(" AND a.id = ").push_bind(id.0);
            }
        }
        qb.push(" ORDER BY 9, 1");
        let rows = qb.build().fetch_all(self.conn()).await?;
        rows.iter().map(decode_allocation).collect()
    }

    /// The allocations to any of `items` (invoices; not those from credit notes), oldest first
    /// per invoice: the batched form of [`list_allocations`](Self::list_allocations) for code
    /// that needs the payments of many invoices at once.
    ///
    /// # Errors
    /// [`StoreError::Database`] or [`StoreError::Corrupt`].
    pub async fn list_allocations_to_items(
        &mut self,
        org: OrganisationId,
        items: &[InvoiceId],
    ) -> Result<Vec<StoredAllocation>, StoreError> {
        let mut out = Vec::new();
        for chunk in items.chunks(BATCH_ROWS_MAX) {
            let mut qb = QueryBuilder::<DB>::new(concat!(
                allocation_select!(alloc_by_invoice!()),
                " WHERE a.organisation_id = "
            ));
            qb.push_bind(org.0);
            push_in(&mut qb, "a.invoice_id", chunk.iter().map(|i| i.0));
            qb.push(" ORDER BY a.invoice_id, a.effective_date, a.id");
            for r in qb.build().fetch_all(self.conn()).await? {
                out.push(decode_allocation(&r)?);
            }
        }
        Ok(out)
    }

    /// Removes an allocation and returns it; balances are refreshed.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when there is no such allocation.
    pub async fn delete_allocation(
        &mut self,
        org: OrganisationId,
        id: AllocationId,
    ) -> Result<StoredAllocation, StoreError> {
        let found = self.list_allocations(org, AllocationsOf::Id(id)).await?;
        let Some(alloc) = found.into_iter().next() else {
            return Err(StoreError::NotFound { entity: "allocation", key: id.to_string() });
        };
        sqlx::query("DELETE FROM allocations WHERE organisation_id = $1 AND id = $2")
            .bind(org.0)
            .bind(id.0)
            .execute(self.conn())
            .await?;
        let (items, payments) = match alloc.source {
            AllocationSource::Payment(p) => (vec![alloc.invoice_id], vec![p]),
            AllocationSource::CreditNote(c) => (vec![alloc.invoice_id, c], vec![]),
        };
        self.refresh_balances(org, &items, &payments).await?;
        Ok(alloc)
    }

    /// Recomputes the derived balances (`open_minor`, `settled_on`, `unapplied_minor`) of the
    /// given items and payments from their allocations.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn refresh_balances(
        &mut self,
        org: OrganisationId,
        items: &[InvoiceId],
        payments: &[PaymentId],
    ) -> Result<(), StoreError> {
        for chunk in items.chunks(BATCH_ROWS_MAX) {
            let mut qb = QueryBuilder::<DB>::new(REFRESH_ITEM_SQL);
            qb.push_bind(org.0);
            push_in(&mut qb, "id", chunk.iter().map(|i| i.0));
            qb.build().execute(self.conn()).await?;
        }
        for chunk in payments.chunks(BATCH_ROWS_MAX) {
            let mut qb = QueryBuilder::<DB>::new(REFRESH_UNAPPLIED_SQL);
            qb.push_bind(org.0);
            push_in(&mut qb, "id", chunk.iter().map(|i| i.0));
            qb.build().execute(self.conn()).await?;
        }
        Ok(())
    }

    /// Recomputes every derived balance of the organisation (after a bulk load, or to repair).
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn refresh_all_balances(&mut self, org: OrganisationId) -> Result<(), StoreError> {
        for sql in [REFRESH_OPEN_SQL, REFRESH_SETTLED_SQL, REFRESH_UNAPPLIED_SQL] {
            let mut qb = QueryBuilder::<DB>::new(sql);
            qb.push_bind(org.0);
            qb.build().execute(self.conn()).await?;
        }
        Ok(())
    }

    /// Items whose stored balance differs from the one their allocations give: an empty list
    /// means the derived columns are consistent.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn find_balance_mismatches(
        &mut self,
        org: OrganisationId,
    ) -> Result<Vec<String>, StoreError> {
        let invoices: Vec<String> = sqlx::query_scalar(concat!(
            "SELECT i.number FROM invoices i WHERE i.organisation_id = $1 AND i.open_minor <> \
             CASE WHEN i.kind = 'invoice' THEN i.amount_minor - (SELECT \
             CAST(COALESCE(SUM(a.amount_minor), 0) AS BIGINT) FROM ",
            alloc_by_invoice!(),
            " WHERE \
             a.organisation_id = i.organisation_id AND a.invoice_id = i.id) ELSE i.amount_minor + \
             (SELECT CAST(COALESCE(SUM(a.amount_minor), 0) AS BIGINT) FROM ",
            alloc_by_credit_note!(),
            " WHERE \
             a.organisation_id = i.organisation_id AND a.credit_note_id = i.id) END \
             OR (i.open_minor = 0) <> (i.settled_on <> '9999-12-31') \
             OR (i.kind = 'invoice' AND i.open_minor < 0) \
             OR (i.kind = 'credit_note' AND i.open_minor > 0) ORDER BY i.number LIMIT 1000"
        ))
        .bind(org.0)
        .fetch_all(self.conn())
        .await?;
        let payments: Vec<String> = sqlx::query_scalar(concat!(
            "SELECT p.external_id FROM payments p WHERE p.organisation_id = $1 AND \
             p.unapplied_minor <> p.amount_minor - (SELECT CAST(COALESCE(SUM(a.amount_minor), 0) \
             AS BIGINT) FROM ",
            alloc_by_payment!(),
            " WHERE a.organisation_id = p.organisation_id AND \
             a.payment_id = p.id) ORDER BY p.external_id LIMIT 1000"
        ))
        .bind(org.0)
        .fetch_all(self.conn())
        .await?;
        Ok(invoices
            .into_iter()
            .map(|n| format!("invoice {n}"))
            .chain(payments.into_iter().map(|p| format!("payment {p}")))
            .collect())
    }

    // ---------------------------------------------------------------- reports

    /// Sums what was open on `as_of` per ageing bucket, in one currency.
    ///
    /// `not_due_from` is the first due date that is not yet overdue (`as_of` itself);
    /// `cutoffs` are, per bucket after "not due", the earliest due date that still falls in it.
    /// Items due before the last cutoff fall in the last bucket (index `cutoffs.len() + 1`).
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn ageing_totals(
        &mut self,
        org: OrganisationId,
        cur: Currency,
        as_of: Date,
        cutoffs: &[Date],
        debtor: Option<DebtorId>,
    ) -> Result<Vec<BucketSum>, StoreError> {
        let mut qb = QueryBuilder::<DB>::new("SELECT CAST(CASE WHEN x.due_date >= ");
        qb.push_bind(as_of.to_string()).push(" THEN 0");
        for (i, c) in cutoffs.iter().enumerate() {
            qb.push(" WHEN x.due_date >= ").push_bind(c.to_string());
            qb.push(format!(" THEN {}", i + 1));
        }
        qb.push(format!(" ELSE {} END AS BIGINT) AS bucket, ", cutoffs.len() + 1));
        qb.push(
            "CAST(SUM(x.open_minor) AS BIGINT) AS amount, CAST(COUNT(*) AS BIGINT) AS n FROM (",
        );
        push_open_items_select(&mut qb, org, cur, as_of, debtor);
        qb.push(") x WHERE x.open_minor <> 0 GROUP BY 1 ORDER BY 1");
        let rows = qb.build().fetch_all(self.conn()).await?;
        rows.iter()
            .map(|r| {
                Ok(BucketSum {
                    bucket: usize::try_from(r.try_get::<i64, _>("bucket")?).unwrap_or(0),
                    amount_minor: r.try_get("amount")?,
                    count: count(r.try_get("n")?),
                })
            })
            .collect()
    }

    /// Every item open on `as_of`, with what was open on that day.
    ///
    /// # Errors
    /// [`StoreError::Database`] or [`StoreError::Corrupt`].
    pub async fn open_items_on(
        &mut self,
        org: OrganisationId,
        cur: Currency,
        as_of: Date,
        debtor: Option<DebtorId>,
    ) -> Result<Vec<OpenItem>, StoreError> {
        let mut qb = QueryBuilder::<DB>::new(
            "SELECT x.id, x.debtor_id, x.number, x.due_date, x.open_minor FROM (",
        );
        push_open_items_select(&mut qb, org, cur, as_of, debtor);
        qb.push(") x WHERE x.open_minor <> 0 ORDER BY x.due_date, x.id");
        let rows = qb.build().fetch_all(self.conn()).await?;
        rows.iter()
            .map(|r| {
                Ok(OpenItem {
                    id: InvoiceId(r.try_get("id")?),
                    debtor_id: DebtorId(r.try_get("debtor_id")?),
                    number: r.try_get("number")?,
                    due_date: date(r, "invoices", "due_date")?,
                    open_minor: r.try_get("open_minor")?,
                })
            })
            .collect()
    }

    /// Money received on or before `as_of` and not allocated on that day, in one currency.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn unapplied_on(
        &mut self,
        org: OrganisationId,
        cur: Currency,
        as_of: Date,
    ) -> Result<i64, StoreError> {
        // What is unapplied today, of payments received by `as_of`, plus what of them was
        // allocated only after `as_of` (to invoices issued later). Both sums read small partial
        // indexes: payments with money left, and allocations that waited.
        let unapplied_now: i64 = sqlx::query_scalar(
            "SELECT CAST(COALESCE(SUM(unapplied_minor), 0) AS BIGINT) FROM payments \
             WHERE organisation_id = $1 AND payment_date <= $2 AND currency = $3 \
             AND unapplied_minor <> 0",
        )
        .bind(org.0)
        .bind(as_of.to_string())
        .bind(cur.code())
        .fetch_one(self.conn())
        .await?;
        let allocated_later: i64 = sqlx::query_scalar(
            "SELECT CAST(COALESCE(SUM(amount_minor), 0) AS BIGINT) FROM allocations \
             WHERE organisation_id = $1 AND payment_id IS NOT NULL \
             AND effective_date > source_date AND effective_date > $2 AND source_date <= $2 \
             AND currency = $3",
        )
        .bind(org.0)
        .bind(as_of.to_string())
        .bind(cur.code())
        .fetch_one(self.conn())
        .await?;
        Ok(unapplied_now + allocated_later)
    }

    /// Invoiced amounts (credit notes netted) per issue date in `[from, to]`, in one currency.
    ///
    /// # Errors
    /// [`StoreError::Database`] or [`StoreError::Corrupt`].
    pub async fn sales_by_day(
        &mut self,
        org: OrganisationId,
        cur: Currency,
        from: Date,
        to: Date,
    ) -> Result<Vec<(Date, i64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT day, sales_minor FROM ledger_days WHERE organisation_id = $1 \
             AND currency = $4 AND day >= $2 AND day <= $3 AND sales_minor <> 0 ORDER BY day",
        )
        .bind(org.0)
        .bind(from.to_string())
        .bind(to.to_string())
        .bind(cur.code())
        .fetch_all(self.conn())
        .await?;
        rows.iter()
            .map(|r| Ok((date(r, "ledger_days", "day")?, r.try_get("sales_minor")?)))
            .collect()
    }

    /// Invoices settled in `[from, to]`, optionally of one debtor, in one currency.
    ///
    /// # Errors
    /// [`StoreError::Database`] or [`StoreError::Corrupt`].
    pub async fn settled_invoices(
        &mut self,
        org: OrganisationId,
        cur: Currency,
        from: Date,
        to: Date,
        debtor: Option<DebtorId>,
    ) -> Result<Vec<SettledRow>, StoreError> {
        let mut qb = QueryBuilder::<DB>::new(
            "SELECT debtor_id, issue_date, due_date, settled_on, amount_minor FROM invoices \
             WHERE organisation_id = ",
        );
        qb.push_bind(org.0);
        qb.push(" AND settled_on >= ").push_bind(from.to_string());
        qb.push(" AND settled_on <= ").push_bind(to.to_string());
        qb.push(" AND kind = 'invoice' AND currency = ").push_bind(cur.code().to_owned());
        if let Some(d) = debtor {
            qb.push(" AND debtor_id = ").push_bind(d.0);
        }
        let rows = qb.build().fetch_all(self.conn()).await?;
        rows.iter()
            .map(|r| {
                Ok(SettledRow {
                    debtor_id: DebtorId(r.try_get("debtor_id")?),
                    issue_date: date(r, "invoices", "issue_date")?,
                    due_date: date(r, "invoices", "due_date")?,
                    settled_on: date(r, "invoices", "settled_on")?,
                    amount_minor: r.try_get("amount_minor")?,
                })
            })
            .collect()
    }
}

const REFRESH_OPEN_SQL: &str = concat!(
    "UPDATE invoices SET open_minor = CASE WHEN kind = 'invoice' \
     THEN amount_minor - (SELECT CAST(COALESCE(SUM(a.amount_minor), 0) AS BIGINT) \
       FROM ",
    alloc_by_invoice!(),
    " WHERE a.organisation_id = invoices.organisation_id \
       AND a.invoice_id = invoices.id) \
     ELSE amount_minor + (SELECT CAST(COALESCE(SUM(a.amount_minor), 0) AS BIGINT) \
       FROM ",
    alloc_by_credit_note!(),
    " WHERE a.organisation_id = invoices.organisation_id \
       AND a.credit_note_id = invoices.id) END \
     WHERE organisation_id = "
);

const REFRESH_SETTLED_SQL: &str = concat!(
    "UPDATE invoices SET settled_on = CASE \
     WHEN open_minor <> 0 THEN '9999-12-31' \
     WHEN kind = 'invoice' THEN COALESCE((SELECT MAX(a.effective_date) FROM ",
    alloc_by_invoice!(),
    " \
       WHERE a.organisation_id = invoices.organisation_id AND a.invoice_id = invoices.id), issue_date) \
     ELSE COALESCE((SELECT MAX(a.effective_date) FROM ",
    alloc_by_credit_note!(),
    " \
       WHERE a.organisation_id = invoices.organisation_id AND a.credit_note_id = invoices.id), issue_date) \
     END WHERE organisation_id = "
);

/// Both derived columns of the given items in one write per row (each index holding either
/// column is rewritten once): the open amount, and the day it became settled, computed from the
/// same sums as [`REFRESH_OPEN_SQL`] and [`REFRESH_SETTLED_SQL`].
const REFRESH_ITEM_SQL: &str = concat!(
    "UPDATE invoices SET open_minor = CASE WHEN kind = 'invoice' \
     THEN amount_minor - (SELECT CAST(COALESCE(SUM(a.amount_minor), 0) AS BIGINT) \
       FROM ",
    alloc_by_invoice!(),
    " WHERE a.organisation_id = invoices.organisation_id \
       AND a.invoice_id = invoices.id) \
     ELSE amount_minor + (SELECT CAST(COALESCE(SUM(a.amount_minor), 0) AS BIGINT) \
       FROM ",
    alloc_by_credit_note!(),
    " WHERE a.organisation_id = invoices.organisation_id \
       AND a.credit_note_id = invoices.id) END, \
     settled_on = CASE \
     WHEN kind = 'invoice' AND amount_minor <> (SELECT CAST(COALESCE(SUM(a.amount_minor), 0) AS BIGINT) \
       FROM ",
    alloc_by_invoice!(),
    " WHERE a.organisation_id = invoices.organisation_id AND a.invoice_id = invoices.id) \
       THEN '9999-12-31' \
     WHEN kind = 'invoice' THEN COALESCE((SELECT MAX(a.effective_date) FROM ",
    alloc_by_invoice!(),
    " WHERE a.organisation_id = invoices.organisation_id AND a.invoice_id = invoices.id), issue_date) \
     WHEN amount_minor + (SELECT CAST(COALESCE(SUM(a.amount_minor), 0) AS BIGINT) FROM ",
    alloc_by_credit_note!(),
    " WHERE a.organisation_id = invoices.organisation_id AND a.credit_note_id = invoices.id) <> 0 \
       THEN '9999-12-31' \
     ELSE COALESCE((SELECT MAX(a.effective_date) FROM ",
    alloc_by_credit_note!(),
    " WHERE a.organisation_id = invoices.organisation_id AND a.credit_note_id = invoices.id), issue_date) \
     END WHERE organisation_id = "
);

const REFRESH_UNAPPLIED_SQL: &str = concat!(
    "UPDATE payments SET unapplied_minor = amount_minor - \
     (SELECT CAST(COALESCE(SUM(a.amount_minor), 0) AS BIGINT) FROM ",
    alloc_by_payment!(),
    " \
       WHERE a.organisation_id = payments.organisation_id AND a.payment_id = payments.id) \
     WHERE organisation_id = "
);

/// The items open on `as_of` with the amount open on that day (`open_minor`), possibly zero. An
/// item whose open amount still equals its amount has no allocation at all (allocations are
/// positive), so its amount needs no look-up.
fn push_open_items_select(
    qb: &mut QueryBuilder<DB>,
    org: OrganisationId,
    cur: Currency,
    as_of: Date,
    debtor: Option<DebtorId>,
) {
    let day = as_of.to_string();
    qb.push(concat!(
        "SELECT i.id, i.debtor_id, i.number, i.due_date, CAST(CASE \
         WHEN i.open_minor = i.amount_minor THEN i.amount_minor WHEN i.kind = 'invoice' \
         THEN i.amount_minor - (SELECT COALESCE(SUM(a.amount_minor), 0) FROM ",
        alloc_by_invoice!(),
        " \
         WHERE a.organisation_id = i.organisation_id AND a.invoice_id = i.id \
         AND a.effective_date <= "
    ));
    qb.push_bind(day.clone());
    qb.push(concat!(
        ") ELSE i.amount_minor + (SELECT COALESCE(SUM(a.amount_minor), 0) FROM ",
        alloc_by_credit_note!(),
        " \
         WHERE a.organisation_id = i.organisation_id AND a.credit_note_id = i.id \
         AND a.effective_date <= "
    ));
    qb.push_bind(day.clone());
    qb.push(") END AS BIGINT) AS open_minor FROM invoices i WHERE i.organisation_id = ");
    qb.push_bind(org.0);
    qb.push(" AND i.settled_on > ").push_bind(day.clone());
    qb.push(" AND i.issue_date <= ").push_bind(day);
    qb.push(" AND i.currency = ").push_bind(cur.code().to_owned());
    if let Some(d) = debtor {
        qb.push(" AND i.debtor_id = ").push_bind(d.0);
    }
}

fn like_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

impl Tx {
    /// Applies the migrations this database lacks, each with its `schema_migrations` row, and
    /// returns the versions applied.
    pub(crate) async fn apply_migrations(
        &mut self,
        sql_of: fn(&crate::migrations::Migration) -> &'static str,
        at: i64,
    ) -> Result<Vec<i64>, StoreError> {
        apply_migrations(self.conn(), sql_of, at, i64::MAX).await
    }
}

/// [`Tx::apply_migrations`] on a connection in a transaction of the caller's, up to and
/// including version `up_to` (tests build databases of older versions with it).
async fn apply_migrations(
    conn: &mut Conn,
    sql_of: fn(&crate::migrations::Migration) -> &'static str,
    at: i64,
    up_to: i64,
) -> Result<Vec<i64>, StoreError> {
    use crate::migrations::{CREATE_TABLE, MIGRATIONS, checksum};
    sqlx::query(CREATE_TABLE).execute(&mut *conn).await?;
    let applied: Vec<(i64, String)> =
        sqlx::query_as("SELECT version, checksum FROM schema_migrations ORDER BY version")
            .fetch_all(&mut *conn)
            .await?;
    let known: HashMap<i64, &crate::migrations::Migration> =
        MIGRATIONS.iter().map(|m| (m.version, m)).collect();
    for (version, sum) in &applied {
        let Some(m) = known.get(version) else {
            return Err(StoreError::MigrationUnknown(*version));
        };
        if *sum != checksum(sql_of(m)) {
            return Err(StoreError::MigrationChanged {
                version: *version,
                name: m.name.into(),
            });
        }
    }
    let mut done = Vec::new();
    for m in MIGRATIONS.iter().take_while(|m| m.version <= up_to) {
        if applied.iter().any(|(v, _)| *v == m.version) {
            continue;
        }
        sqlx::raw_sql(sql_of(m)).execute(&mut *conn).await?;
        sqlx::query(
            "INSERT INTO schema_migrations (version, name, checksum, applied_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(m.version)
        .bind(m.name)
        .bind(checksum(sql_of(m)))
        .bind(at)
        .execute(&mut *conn)
        .await?;
        done.push(m.version);
    }
    Ok(done)
}

/// The conditions of `filter` on the debtor aliased `d`, each as ` AND …`.
fn push_debtor_conditions(qb: &mut QueryBuilder<DB>, org: OrganisationId, filter: &DebtorFilter) {
    if let Some(search) = filter.search.as_deref().filter(|s| !s.trim().is_empty()) {
        let needle = like_escape(&search.trim().to_lowercase());
        qb.push(" AND (LOWER(d.name) LIKE ")
            .push_bind(format!("%{needle}%"))
            .push(" ESCAPE '\\' OR LOWER(d.number) LIKE ")
            .push_bind(format!("{needle}%"))
            .push(" ESCAPE '\\')");
    }
    if let Some(segment) = &filter.segment {
        qb.push(
            " AND EXISTS (SELECT 1 FROM debtor_segments s WHERE s.organisation_id = \
             d.organisation_id AND s.debtor_id = d.id AND s.segment = ",
        )
        .push_bind(segment.clone())
        .push(")");
    }
    if let Some(owner) = &filter.owner {
        qb.push(" AND d.owner = ").push_bind(owner.clone());
    }
    if let Some(kind) = filter.kind {
        qb.push(" AND d.kind = ").push_bind(kind.as_str());
    }
    if let Some(day) = filter.overdue_on {
        qb.push(
            " AND EXISTS (SELECT 1 FROM invoices i WHERE i.organisation_id = \
             d.organisation_id AND i.debtor_id = d.id AND i.kind = 'invoice' AND \
             i.settled_on = '9999-12-31' AND i.due_date < ",
        )
        .push_bind(day.to_string())
        .push(")");
    }
    if let Some(paused) = filter.paused {
        if paused {
            qb.push(" AND d.pause_reason IS NOT NULL");
        } else {
            qb.push(" AND d.pause_reason IS NULL");
        }
    }
    if let Some((from, to)) = filter.due_between {
        qb.push(
            " AND EXISTS (SELECT 1 FROM invoices i WHERE i.organisation_id = \
             d.organisation_id AND i.debtor_id = d.id AND i.kind = 'invoice' AND \
             i.settled_on = '9999-12-31' AND i.due_date >= ",
        )
        .push_bind(from.to_string())
        .push(" AND i.due_date <= ")
        .push_bind(to.to_string())
        .push(")");
    }
    // The dunning state of a debtor's open items: disputes, plans, promises. Read from the
    // organisation's dunning items (few carry a flag), not debtor by debtor.
    let flag = |qb: &mut QueryBuilder<DB>, condition: &str| {
        qb.push(
            " AND d.id IN (SELECT i.debtor_id FROM dunning_items x JOIN invoices i ON \
             i.organisation_id = x.organisation_id AND i.id = x.invoice_id \
             WHERE x.organisation_id = ",
        )
        .push_bind(org.0)
        .push(" AND i.settled_on = '9999-12-31' AND ")
        .push(condition.to_owned());
    };
    if filter.disputed {
        flag(qb, "x.disputed <> 0)");
    }
    if filter.in_payment_plan {
        flag(qb, "x.in_payment_plan <> 0)");
    }
    if let Some(day) = filter.promised_from {
        flag(qb, "x.promised_until >= ");
        qb.push_bind(day.to_string()).push(")");
    }
}
