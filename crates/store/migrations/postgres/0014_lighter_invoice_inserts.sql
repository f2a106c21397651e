-- 0014: lighter invoice inserts.
--
-- invoices_settled serves ageing on any date (a range on settled_on, then issue_date) and
-- carries the columns those reports read. Its key had the id last, so two entries of the same
-- day compared on six more columns before the id told them apart, on every insert. The id now
-- ends the key and the rest are INCLUDE columns: they still cover the reports but take no part
-- in comparisons (no query seeks on them: a range on issue_date ends the seekable part of the
-- key). SQLite, which has no INCLUDE, puts them after the id to the same effect.
--
-- SQLite's half of this migration also defers the check of each invoice's debtor to the commit,
-- which spares its bulk inserts a statement journal. PostgreSQL keeps no such journal, so its
-- foreign key stays as it is.
DROP INDEX invoices_settled;
CREATE INDEX invoices_settled ON invoices (organisation_id, settled_on, issue_date, id)
    INCLUDE (currency, kind, due_date, amount_minor, open_minor, debtor_id);
ANALYZE invoices;
