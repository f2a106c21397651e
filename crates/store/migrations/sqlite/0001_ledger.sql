-- 0001: the receivables ledger.
--
-- Every table keys on organisation_id first (isolation is a query-shape property, and the schema
-- can be sharded by organisation). Money is BIGINT minor units with its currency; dates are ISO
-- TEXT (YYYY-MM-DD), which compare correctly as text on both backends; instants are BIGINT
-- microseconds since the Unix epoch.

CREATE TABLE organisations (
    id INTEGER PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    country TEXT NOT NULL,
    time_zone TEXT NOT NULL,
    language TEXT NOT NULL,
    currency TEXT NOT NULL,
    iban TEXT,
    bic TEXT,
    enterprise_number TEXT,
    kvk_number TEXT,
    vat_number TEXT,
    reference_scheme TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Per-organisation id and number sequences (debtor, invoice, payment, allocation, reference, …).
-- A writer reserves a block with UPDATE … RETURNING, which serialises concurrent writers per row.
CREATE TABLE id_counters (
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    entity TEXT NOT NULL,
    next_id BIGINT NOT NULL,
    PRIMARY KEY (organisation_id, entity)
);

-- API bearer tokens. Only a SHA-256 of the secret is stored; the token text carries the
-- organisation id so a lookup never leaves the organisation's key range.
CREATE TABLE api_tokens (
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    id BIGINT NOT NULL,
    name TEXT NOT NULL,
    secret_sha256 TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT,
    PRIMARY KEY (organisation_id, id)
);
CREATE UNIQUE INDEX api_tokens_secret ON api_tokens (organisation_id, secret_sha256);

CREATE TABLE debtors (
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    id BIGINT NOT NULL,
    number TEXT NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    country TEXT NOT NULL,
    language TEXT NOT NULL,
    vat_number TEXT,
    enterprise_number TEXT,
    street TEXT,
    postal_code TEXT,
    city TEXT,
    address_country TEXT,
    owner TEXT,
    credit_limit_minor BIGINT,
    credit_limit_currency TEXT,
    pause_reason TEXT,
    pause_until TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (organisation_id, id)
);
CREATE UNIQUE INDEX debtors_number ON debtors (organisation_id, number);
CREATE INDEX debtors_name ON debtors (organisation_id, name);
CREATE INDEX debtors_owner ON debtors (organisation_id, owner);

-- E-mail addresses and phone numbers, in the order given, each with its purpose.
CREATE TABLE debtor_contacts (
    organisation_id BIGINT NOT NULL,
    debtor_id BIGINT NOT NULL,
    channel TEXT NOT NULL,
    position BIGINT NOT NULL,
    value TEXT NOT NULL,
    purpose TEXT NOT NULL,
    PRIMARY KEY (organisation_id, debtor_id, channel, position),
    FOREIGN KEY (organisation_id, debtor_id) REFERENCES debtors (organisation_id, id)
);

CREATE TABLE debtor_ibans (
    organisation_id BIGINT NOT NULL,
    debtor_id BIGINT NOT NULL,
    iban TEXT NOT NULL,
    position BIGINT NOT NULL,
    PRIMARY KEY (organisation_id, debtor_id, iban),
    FOREIGN KEY (organisation_id, debtor_id) REFERENCES debtors (organisation_id, id)
);
CREATE INDEX debtor_ibans_iban ON debtor_ibans (organisation_id, iban);

CREATE TABLE debtor_segments (
    organisation_id BIGINT NOT NULL,
    debtor_id BIGINT NOT NULL,
    segment TEXT NOT NULL,
    position BIGINT NOT NULL,
    PRIMARY KEY (organisation_id, debtor_id, segment),
    FOREIGN KEY (organisation_id, debtor_id) REFERENCES debtors (organisation_id, id)
);
CREATE INDEX debtor_segments_segment ON debtor_segments (organisation_id, segment, debtor_id);

-- Invoices and credit notes. amount_minor is signed (credit notes negative).
-- open_minor and settled_on are derived from allocations and kept in step in the same
-- transaction; settled_on is '9999-12-31' while the item is open, so "open on date D" is the
-- single range settled_on > D.
CREATE TABLE invoices (
    organisation_id BIGINT NOT NULL,
    id BIGINT NOT NULL,
    number TEXT NOT NULL,
    debtor_id BIGINT NOT NULL,
    kind TEXT NOT NULL,
    issue_date TEXT NOT NULL,
    due_date TEXT NOT NULL,
    currency TEXT NOT NULL,
    amount_minor BIGINT NOT NULL,
    amount_excl_vat_minor BIGINT,
    payment_reference TEXT,
    reference_scheme TEXT,
    description TEXT,
    external_id TEXT,
    credits_invoice_id BIGINT,
    open_minor BIGINT NOT NULL,
    settled_on TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (organisation_id, id),
    FOREIGN KEY (organisation_id, debtor_id) REFERENCES debtors (organisation_id, id)
);
CREATE UNIQUE INDEX invoices_number ON invoices (organisation_id, number);
CREATE INDEX invoices_debtor ON invoices (organisation_id, debtor_id, due_date);
-- Covering indexes for the reports: ageing on any date scans invoices_settled, sales per day
-- (DSO) scans invoices_issue, both without touching the table.
CREATE INDEX invoices_settled ON invoices
    (organisation_id, settled_on, issue_date, currency, kind, due_date, amount_minor, id);
CREATE INDEX invoices_issue ON invoices (organisation_id, issue_date, currency, amount_minor);
CREATE INDEX invoices_reference ON invoices (organisation_id, payment_reference);

CREATE TABLE invoice_documents (
    organisation_id BIGINT NOT NULL,
    invoice_id BIGINT NOT NULL,
    content_type TEXT NOT NULL,
    file_name TEXT NOT NULL,
    content BLOB NOT NULL,
    PRIMARY KEY (organisation_id, invoice_id),
    FOREIGN KEY (organisation_id, invoice_id) REFERENCES invoices (organisation_id, id)
);

-- Payments are immutable. unapplied_minor is derived from allocations, like open_minor.
CREATE TABLE payments (
    organisation_id BIGINT NOT NULL,
    id BIGINT NOT NULL,
    payment_date TEXT NOT NULL,
    amount_minor BIGINT NOT NULL,
    currency TEXT NOT NULL,
    reference TEXT,
    counterparty_iban TEXT,
    counterparty_name TEXT,
    source TEXT NOT NULL,
    invoice_number TEXT,
    external_id TEXT NOT NULL,
    debtor_id BIGINT,
    unapplied_minor BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (organisation_id, id)
);
CREATE UNIQUE INDEX payments_external ON payments (organisation_id, external_id);
CREATE INDEX payments_date ON payments (organisation_id, payment_date);
-- Money not (fully) allocated: small, and all "unapplied on date D" needs besides the delayed
-- allocations below.
CREATE INDEX payments_unapplied ON payments (organisation_id, payment_date, currency, unapplied_minor)
    WHERE unapplied_minor <> 0;
CREATE INDEX payments_debtor ON payments (organisation_id, debtor_id);

-- Money or credit linked to an invoice: from a payment, or from a credit note.
CREATE TABLE allocations (
    organisation_id BIGINT NOT NULL,
    id BIGINT NOT NULL,
    invoice_id BIGINT NOT NULL,
    payment_id BIGINT,
    credit_note_id BIGINT,
    amount_minor BIGINT NOT NULL,
    currency TEXT NOT NULL,
    -- The day the money or credit came in (payment date, credit note issue date) and the day
    -- the allocation counts from: the later of that and the invoice's issue date.
    source_date TEXT NOT NULL,
    effective_date TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    PRIMARY KEY (organisation_id, id),
    CHECK ((payment_id IS NULL) <> (credit_note_id IS NULL)),
    CHECK (effective_date >= source_date),
    CHECK (amount_minor > 0)
);
CREATE INDEX allocations_invoice ON allocations (organisation_id, invoice_id, effective_date);
CREATE INDEX allocations_payment ON allocations (organisation_id, payment_id);
-- Payments allocated to invoices issued after them: money that was unapplied for a while.
CREATE INDEX allocations_delayed ON allocations
    (organisation_id, effective_date, source_date, currency, amount_minor)
    WHERE payment_id IS NOT NULL AND effective_date > source_date;
CREATE INDEX allocations_credit_note ON allocations (organisation_id, credit_note_id);

-- Who did what, when, and why. Written in the same transaction as the change.
CREATE TABLE audit_log (
    organisation_id BIGINT NOT NULL,
    id BIGINT NOT NULL,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_key TEXT NOT NULL,
    details TEXT NOT NULL,
    PRIMARY KEY (organisation_id, id)
);
CREATE INDEX audit_log_entity ON audit_log (organisation_id, entity, entity_key);

-- Responses to POST requests that carried an Idempotency-Key, replayed on a retry.
CREATE TABLE idempotency_keys (
    organisation_id BIGINT NOT NULL,
    idempotency_key TEXT NOT NULL,
    request_sha256 TEXT NOT NULL,
    status BIGINT NOT NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (organisation_id, idempotency_key)
);

-- One row per import run: what came in and what it did.
CREATE TABLE imports (
    organisation_id BIGINT NOT NULL,
    id BIGINT NOT NULL,
    kind TEXT NOT NULL,
    file_name TEXT NOT NULL,
    file_sha256 TEXT NOT NULL,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    created BIGINT NOT NULL,
    updated BIGINT NOT NULL,
    unchanged BIGINT NOT NULL,
    PRIMARY KEY (organisation_id, id)
);
