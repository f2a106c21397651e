-- 0014: lighter invoice inserts. Two costs of every invoice written in bulk go (an import of
-- 200,000 rows: docs/benchmarks.md):
--
-- * The statement journal. A statement that writes many rows and may stop half-way makes SQLite
--   copy each page it first touches to a journal, to undo the statement alone; a bulk insert of
--   100+ statements of 1,700 rows journals its hot pages over and over.
--   The store's bulk insert now says INSERT OR FAIL, so that a duplicate number stops the
--   statement without undoing it (the caller rolls the transaction back; a failed insert always
--   ended the transaction), and the check that each invoice's debtor exists is deferred to the
--   commit: an immediate foreign key makes every statement one that may stop half-way. SQLite
--   cannot change a constraint in place, so the table is rebuilt as its documentation describes
--   (the runner applies migrations with foreign keys off and runs PRAGMA foreign_key_check
--   before it commits).
--
-- * Comparisons in the report index. invoices_settled serves ageing on any date (a range on
--   settled_on, then issue_date) and carries the columns those reports read. Its key had the id
--   last: two entries of the same day compared on currency, kind, due date, amount, open amount
--   and debtor before the id told them apart, and an insert makes some twenty comparisons. With
--   the id right after the issue date, comparisons end there. No query seeks on the columns
--   after issue_date (a range on issue_date ends the seekable part of the key whatever follows),
--   so they still only filter and cover.
CREATE TABLE invoices_rebuilt (
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
        DEFERRABLE INITIALLY DEFERRED
);
INSERT INTO invoices_rebuilt (organisation_id, id, number, debtor_id, kind, issue_date, due_date,
    currency, amount_minor, amount_excl_vat_minor, payment_reference, reference_scheme,
    description, external_id, credits_invoice_id, open_minor, settled_on, created_at, updated_at)
SELECT organisation_id, id, number, debtor_id, kind, issue_date, due_date, currency, amount_minor,
    amount_excl_vat_minor, payment_reference, reference_scheme, description, external_id,
    credits_invoice_id, open_minor, settled_on, created_at, updated_at
FROM invoices ORDER BY organisation_id, id;
-- Its indexes and its two triggers go with it (the child tables' references name the table,
-- and name the rebuilt one after the rename).
DROP TABLE invoices;
ALTER TABLE invoices_rebuilt RENAME TO invoices;

CREATE UNIQUE INDEX invoices_number ON invoices (organisation_id, number);
CREATE INDEX invoices_debtor ON invoices (organisation_id, debtor_id, due_date);
CREATE INDEX invoices_settled ON invoices
    (organisation_id, settled_on, issue_date, id, currency, kind, due_date, amount_minor,
     open_minor, debtor_id);
CREATE INDEX invoices_reference ON invoices (organisation_id, payment_reference);

-- As in 0008: an update of the amount, the date or the currency moves the row's sum in
-- ledger_days, a delete subtracts it (inserts add theirs in the store's one insert).
CREATE TRIGGER ledger_days_invoice_update AFTER UPDATE OF amount_minor, issue_date, currency
ON invoices BEGIN
    INSERT INTO ledger_days (organisation_id, currency, day, sales_minor, payments_minor)
    VALUES (OLD.organisation_id, OLD.currency, OLD.issue_date, -OLD.amount_minor, 0)
    ON CONFLICT (organisation_id, currency, day)
    DO UPDATE SET sales_minor = sales_minor + excluded.sales_minor;
    INSERT INTO ledger_days (organisation_id, currency, day, sales_minor, payments_minor)
    VALUES (NEW.organisation_id, NEW.currency, NEW.issue_date, NEW.amount_minor, 0)
    ON CONFLICT (organisation_id, currency, day)
    DO UPDATE SET sales_minor = sales_minor + excluded.sales_minor;
END;
CREATE TRIGGER ledger_days_invoice_delete AFTER DELETE ON invoices BEGIN
    INSERT INTO ledger_days (organisation_id, currency, day, sales_minor, payments_minor)
    VALUES (OLD.organisation_id, OLD.currency, OLD.issue_date, -OLD.amount_minor, 0)
    ON CONFLICT (organisation_id, currency, day)
    DO UPDATE SET sales_minor = sales_minor + excluded.sales_minor;
END;

PRAGMA analysis_limit = 1000;
ANALYZE invoices;
