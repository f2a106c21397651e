-- 0002: the dunning engine: policies, item and debtor state, actions and their effects
-- (messages, charges, tasks), organisation templates, runs.

-- Policies are versioned: a change is a new row; actions record the version that made them.
CREATE TABLE dunning_policies (
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    policy_id TEXT NOT NULL,
    version BIGINT NOT NULL,
    definition TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    PRIMARY KEY (organisation_id, policy_id, version)
);

-- Which policy applies to whom (JSON of core::dunning::Assignments), and run settings.
CREATE TABLE dunning_settings (
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    assignments TEXT NOT NULL,
    run_hour BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (organisation_id)
);

-- Where each invoice stands in its policy, and what holds it.
CREATE TABLE dunning_items (
    organisation_id BIGINT NOT NULL,
    invoice_id BIGINT NOT NULL,
    last_step BIGINT,
    last_step_key TEXT,
    last_step_on TEXT,
    policy_id TEXT,
    policy_version BIGINT,
    policy_override TEXT,
    disputed BIGINT NOT NULL,
    promised_until TEXT,
    in_payment_plan BIGINT NOT NULL,
    paused_until TEXT,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (organisation_id, invoice_id),
    FOREIGN KEY (organisation_id, invoice_id) REFERENCES invoices (organisation_id, id)
);

CREATE TABLE dunning_debtors (
    organisation_id BIGINT NOT NULL,
    debtor_id BIGINT NOT NULL,
    last_contact_on TEXT,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (organisation_id, debtor_id),
    FOREIGN KEY (organisation_id, debtor_id) REFERENCES debtors (organisation_id, id)
);

-- What a run decided. The idempotency key (debtor, policy version, step, items) is unique: the
-- same action can never be stored, and so never be sent, twice.
CREATE TABLE dunning_actions (
    organisation_id BIGINT NOT NULL,
    id BIGINT NOT NULL,
    idempotency_key TEXT NOT NULL,
    run_date TEXT NOT NULL,
    debtor_id BIGINT NOT NULL,
    policy_id TEXT NOT NULL,
    policy_version BIGINT NOT NULL,
    step_key TEXT NOT NULL,
    step_index BIGINT NOT NULL,
    template TEXT NOT NULL,
    channels TEXT NOT NULL,
    invoices TEXT NOT NULL,
    open_minor BIGINT NOT NULL,
    currency TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (organisation_id, id)
);
CREATE UNIQUE INDEX dunning_actions_key ON dunning_actions (organisation_id, idempotency_key);
CREATE INDEX dunning_actions_debtor ON dunning_actions (organisation_id, debtor_id, id);
CREATE INDEX dunning_actions_status ON dunning_actions (organisation_id, status, id);

-- Messages, exactly as rendered: planned -> sending -> sent | uncertain | failed. A message is
-- marked sending in its own committed transaction before delivery; after a crash, sending
-- messages become uncertain and wait for a person.
CREATE TABLE messages (
    organisation_id BIGINT NOT NULL,
    id BIGINT NOT NULL,
    action_id BIGINT NOT NULL,
    debtor_id BIGINT NOT NULL,
    channel TEXT NOT NULL,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    text_body TEXT NOT NULL,
    html_body TEXT NOT NULL,
    language TEXT NOT NULL,
    message_id TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    sent_at BIGINT,
    PRIMARY KEY (organisation_id, id)
);
CREATE INDEX messages_status ON messages (organisation_id, status, id);
CREATE INDEX messages_debtor ON messages (organisation_id, debtor_id, id);
CREATE UNIQUE INDEX messages_message_id ON messages (organisation_id, message_id);

CREATE TABLE message_attachments (
    organisation_id BIGINT NOT NULL,
    message_id BIGINT NOT NULL,
    position BIGINT NOT NULL,
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    content BYTEA NOT NULL,
    PRIMARY KEY (organisation_id, message_id, position)
);

-- Charges added to an invoice by a dunning step, each with its legal explanation (JSON).
CREATE TABLE charges (
    organisation_id BIGINT NOT NULL,
    id BIGINT NOT NULL,
    invoice_id BIGINT NOT NULL,
    action_id BIGINT NOT NULL,
    kind TEXT NOT NULL,
    amount_minor BIGINT NOT NULL,
    currency TEXT NOT NULL,
    explanation TEXT NOT NULL,
    charged_on TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (organisation_id, id)
);
CREATE INDEX charges_invoice ON charges (organisation_id, invoice_id);

-- Work for a person: calls, approvals, hand-overs, failed deliveries.
CREATE TABLE tasks (
    organisation_id BIGINT NOT NULL,
    id BIGINT NOT NULL,
    debtor_id BIGINT NOT NULL,
    action_id BIGINT,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    owner TEXT,
    status TEXT NOT NULL,
    due_on TEXT NOT NULL,
    outcome TEXT,
    outcome_note TEXT,
    created_at BIGINT NOT NULL,
    done_at BIGINT,
    PRIMARY KEY (organisation_id, id)
);
CREATE INDEX tasks_status ON tasks (organisation_id, status, due_on);
CREATE INDEX tasks_debtor ON tasks (organisation_id, debtor_id);

-- The organisation's own wording of a step's message in a language.
CREATE TABLE message_templates (
    organisation_id BIGINT NOT NULL,
    template TEXT NOT NULL,
    language TEXT NOT NULL,
    subject TEXT NOT NULL,
    text_body TEXT NOT NULL,
    html_body TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    updated_by TEXT NOT NULL,
    PRIMARY KEY (organisation_id, template, language)
);

-- One row per organisation and run date: a second run on the same date finds it.
CREATE TABLE dunning_runs (
    organisation_id BIGINT NOT NULL,
    run_date TEXT NOT NULL,
    status TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    finished_at BIGINT,
    summary TEXT NOT NULL,
    PRIMARY KEY (organisation_id, run_date)
);
