-- 0009: an organisation's look (the accent colour and logo its letters, e-mails and debtor pages
-- carry) and its own bank accounts: which it may ask to be paid on, and which are closed.

CREATE TABLE organisation_branding (
    organisation_id BIGINT NOT NULL PRIMARY KEY REFERENCES organisations (id),
    -- `#rrggbb`, or NULL for arflow's own.
    accent_colour TEXT,
    -- `image/png` or `image/svg+xml`, with the bytes; both NULL for no logo.
    logo_type TEXT,
    logo BLOB,
    updated_at BIGINT NOT NULL
);

CREATE TABLE organisation_bank_accounts (
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    -- Electronic form, upper case, no spaces.
    iban TEXT NOT NULL,
    bic TEXT,
    label TEXT NOT NULL,
    -- 0: closed; statements for it are refused and reminders cannot name it.
    active BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (organisation_id, iban)
);

-- The account each organisation asks to be paid on today is its first own account.
INSERT INTO organisation_bank_accounts (organisation_id, iban, bic, label, active, created_at, updated_at)
SELECT id, iban, bic, '', 1, updated_at, updated_at FROM organisations WHERE iban IS NOT NULL;
