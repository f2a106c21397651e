-- 0012: payment plans. A debtor's plan to pay its open invoices in instalments: proposed on the
-- portal or by staff, started automatically within the organisation's limits or by a person,
-- then followed until it is paid (completed) or an instalment stays unpaid too long (broken).

-- A plan. `status`: proposed, active, completed, broken, rejected or cancelled; `interval`:
-- weekly or monthly; `created_by`: 'portal' or the audit actor of the person who made it;
-- `decided_*`: who accepted or rejected it and when ('automatic' for a plan within the limits);
-- `ended_on`: the day it was completed, broken, rejected or cancelled.
CREATE TABLE payment_plans (
    organisation_id BIGINT NOT NULL,
    id BIGINT NOT NULL,
    debtor_id BIGINT NOT NULL,
    status TEXT NOT NULL,
    currency TEXT NOT NULL,
    total_minor BIGINT NOT NULL,
    interval TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    response_id BIGINT,
    decided_at BIGINT,
    decided_by TEXT,
    ended_on TEXT,
    PRIMARY KEY (organisation_id, id),
    FOREIGN KEY (organisation_id, debtor_id) REFERENCES debtors (organisation_id, id)
);
CREATE INDEX payment_plans_debtor ON payment_plans (organisation_id, debtor_id, id);
CREATE INDEX payment_plans_status ON payment_plans (organisation_id, status, id);
CREATE INDEX payment_plans_ended ON payment_plans (organisation_id, ended_on);

-- The instalments of a plan, in due-date order from position 0. Each has its own structured
-- payment reference in the organisation's scheme, so that a bank line paying it is recognised.
CREATE TABLE plan_instalments (
    organisation_id BIGINT NOT NULL,
    plan_id BIGINT NOT NULL,
    position BIGINT NOT NULL,
    due_date TEXT NOT NULL,
    amount_minor BIGINT NOT NULL,
    reference TEXT NOT NULL,
    PRIMARY KEY (organisation_id, plan_id, position),
    FOREIGN KEY (organisation_id, plan_id) REFERENCES payment_plans (organisation_id, id)
);
CREATE UNIQUE INDEX plan_instalments_reference ON plan_instalments (organisation_id, reference);

-- The invoices a plan pays.
CREATE TABLE plan_items (
    organisation_id BIGINT NOT NULL,
    plan_id BIGINT NOT NULL,
    invoice_id BIGINT NOT NULL,
    PRIMARY KEY (organisation_id, plan_id, invoice_id),
    FOREIGN KEY (organisation_id, plan_id) REFERENCES payment_plans (organisation_id, id),
    FOREIGN KEY (organisation_id, invoice_id) REFERENCES invoices (organisation_id, id)
);
CREATE INDEX plan_items_invoice ON plan_items (organisation_id, invoice_id);
