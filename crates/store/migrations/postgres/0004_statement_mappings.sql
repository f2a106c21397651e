-- 0004: an organisation's saved column mappings for its banks' CSV statement exports.

-- `definition` is the mapping as JSON (formats::statement::csv_mapped::CsvMapping), checked
-- before it is saved; `name` is what `import statement --mapping NAME` and `?mapping=NAME` use.
CREATE TABLE statement_mappings (
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    name TEXT NOT NULL,
    definition TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    updated_by TEXT NOT NULL,
    PRIMARY KEY (organisation_id, name)
);
