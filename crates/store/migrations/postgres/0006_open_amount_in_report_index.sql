-- 0006: the open amount joins the covering index of the reports.
--
-- An item whose open amount equals its amount has no allocation at all (allocations are
-- positive), so what was open on any day since its issue is its amount. With open_minor in
-- invoices_settled, ageing on today reads the many unpaid items from the index alone and looks
-- up allocations only for the partly paid ones (the dashboard over 1M invoices: docs/benchmarks.md).
DROP INDEX invoices_settled;
CREATE INDEX invoices_settled ON invoices
    (organisation_id, settled_on, issue_date, currency, kind, due_date, amount_minor, open_minor, id);
-- Fresh statistics for the new index.
ANALYZE invoices;
