-- 0010: the debtor portal. A debtor's personal links, what the debtor answered through them, and
-- the disputes those answers (or staff) open on invoices.

-- Secrets of this installation, made on first use and kept with the data, so that every server
-- of one database signs alike and a restart changes nothing.
CREATE TABLE server_keys (
    name TEXT NOT NULL PRIMARY KEY,
    secret BLOB NOT NULL,
    created_at BIGINT NOT NULL
);

-- How an organisation's portal behaves: the optional second check, how long a link lives, and
-- the limits of promises and payment plans (JSON, see arflow-app's portal settings).
CREATE TABLE portal_settings (
    organisation_id BIGINT NOT NULL PRIMARY KEY REFERENCES organisations (id),
    second_check TEXT NOT NULL,
    link_days BIGINT NOT NULL,
    rules TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- A personal link: its token is the nonce with the installation's HMAC of it, so only the nonce
-- is stored and a forged token is refused before the database is asked.
CREATE TABLE portal_links (
    organisation_id BIGINT NOT NULL,
    id BIGINT NOT NULL,
    debtor_id BIGINT NOT NULL,
    nonce TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_on TEXT NOT NULL,
    revoked_at BIGINT,
    revoked_by TEXT,
    last_used_at BIGINT,
    PRIMARY KEY (organisation_id, id),
    FOREIGN KEY (organisation_id, debtor_id) REFERENCES debtors (organisation_id, id)
);
CREATE UNIQUE INDEX portal_links_nonce ON portal_links (nonce);
CREATE INDEX portal_links_debtor ON portal_links (organisation_id, debtor_id, id);

-- What a debtor answered: paid already, a dispute, a promise, a plan proposal, a question,
-- changed contact details. `details` is JSON; an uploaded file is kept with it.
CREATE TABLE portal_responses (
    organisation_id BIGINT NOT NULL,
    id BIGINT NOT NULL,
    debtor_id BIGINT NOT NULL,
    link_id BIGINT NOT NULL,
    kind TEXT NOT NULL,
    invoice_id BIGINT,
    details TEXT NOT NULL,
    attachment_name TEXT,
    attachment_type TEXT,
    attachment BLOB,
    task_id BIGINT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (organisation_id, id),
    FOREIGN KEY (organisation_id, debtor_id) REFERENCES debtors (organisation_id, id)
);
CREATE INDEX portal_responses_debtor ON portal_responses (organisation_id, debtor_id, id);

-- A dispute on one invoice: open until resolved by a credit note, upheld (the invoice stands and
-- dunning resumes) or rejected. At most one open dispute per invoice.
CREATE TABLE disputes (
    organisation_id BIGINT NOT NULL,
    id BIGINT NOT NULL,
    invoice_id BIGINT NOT NULL,
    debtor_id BIGINT NOT NULL,
    reason TEXT NOT NULL,
    text TEXT NOT NULL,
    status TEXT NOT NULL,
    resolution TEXT,
    resolution_note TEXT,
    response_id BIGINT,
    opened_at BIGINT NOT NULL,
    opened_by TEXT NOT NULL,
    resolved_at BIGINT,
    resolved_by TEXT,
    PRIMARY KEY (organisation_id, id),
    FOREIGN KEY (organisation_id, invoice_id) REFERENCES invoices (organisation_id, id)
);
CREATE INDEX disputes_debtor ON disputes (organisation_id, debtor_id, id);
CREATE UNIQUE INDEX disputes_one_open ON disputes (organisation_id, invoice_id) WHERE status = 'open';
