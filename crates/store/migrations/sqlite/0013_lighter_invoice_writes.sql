-- 0013: lighter invoice writes, and the debtor in the report index.
--
-- An import of invoices pays for every B-tree of the table and for the trigger that adds each row
-- to its day in ledger_days. Two of those costs go:
--
-- * invoices_issue served the sales per day of the DSO report. ledger_days holds exactly those
--   sums (invoices minus credit notes issued that day), so the report reads them there and the
--   index is dropped.
-- * The insert trigger added rows to ledger_days one by one. The store's one insert of invoices
--   (insert_invoice_rows) now adds a batch's sums per day in one statement, in the same
--   transaction. Updates and deletes are rare and keep their triggers.
--
-- The report index gains the debtor: who owes the most (the staff's ranking of debtors, with or
-- without a filter) then sums the open items from the index alone instead of looking up each
-- open item's row.
DROP INDEX invoices_issue;
DROP TRIGGER ledger_days_invoice_insert;
DROP INDEX invoices_settled;
CREATE INDEX invoices_settled ON invoices
    (organisation_id, settled_on, issue_date, currency, kind, due_date, amount_minor, open_minor,
     debtor_id, id);
PRAGMA analysis_limit = 1000;
ANALYZE invoices;
