-- 0003: bank statement entries and their reconciliation.

-- Every entry of every imported statement, once: `entry_key` is the account with the bank's own
-- reference, or a fingerprint of the entry's content when the bank gives none, so importing the
-- same statement again, or a monthly statement over the dailies, stores nothing twice.
-- `content_sha256` tells an entry seen again from one whose key matches but content differs.
CREATE TABLE bank_entries (
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    id BIGINT NOT NULL,
    entry_key TEXT NOT NULL,
    content_sha256 TEXT NOT NULL,
    account TEXT NOT NULL,
    statement_id TEXT,
    format TEXT NOT NULL,
    booking_date TEXT NOT NULL,
    value_date TEXT,
    amount_minor BIGINT NOT NULL,
    currency TEXT NOT NULL,
    counterparty_name TEXT,
    counterparty_iban TEXT,
    counterparty_bic TEXT,
    reference_scheme TEXT,
    reference TEXT,
    remittance TEXT NOT NULL,
    end_to_end_id TEXT,
    bank_reference TEXT,
    transaction_code TEXT,
    reversal BIGINT NOT NULL,
    return_reason TEXT,
    -- matched | review | unmatched | ignored | reversal | rejected
    status TEXT NOT NULL,
    payment_id BIGINT,
    -- The payment this debit reversed (returns, chargebacks).
    reverses_payment_id BIGINT,
    -- JSON list of core::reconcile::Proposal, best first.
    proposals TEXT,
    decided_by TEXT,
    decided_at BIGINT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (organisation_id, id)
);
CREATE UNIQUE INDEX bank_entries_key ON bank_entries (organisation_id, entry_key);
CREATE INDEX bank_entries_status ON bank_entries (organisation_id, status, id);
CREATE INDEX bank_entries_payment ON bank_entries (organisation_id, payment_id);
CREATE INDEX bank_entries_reversal ON bank_entries (organisation_id, counterparty_iban, amount_minor);

-- A payment a later debit reversed: its allocations are removed and it no longer counts.
ALTER TABLE payments ADD COLUMN reversed_by BIGINT;
