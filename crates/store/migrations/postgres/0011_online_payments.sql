-- 0011: payments a debtor starts online from the portal, through a payment provider (Mollie).
-- A row is made before the debtor is sent to the provider; the provider's webhook (re)reads the
-- payment there, and once it is paid it becomes a payment of the ledger (`payment_id`), once.

CREATE TABLE online_payments (
    organisation_id BIGINT NOT NULL,
    id BIGINT NOT NULL,
    debtor_id BIGINT NOT NULL,
    link_id BIGINT NOT NULL,
    provider TEXT NOT NULL,
    -- The provider's id (`tr_…`); set once the provider made the payment.
    provider_id TEXT,
    method TEXT,
    currency TEXT NOT NULL,
    amount_minor BIGINT NOT NULL,
    -- The invoices it pays, as a JSON list of ids, oldest due first.
    invoices TEXT NOT NULL,
    -- open | pending | authorized | paid | canceled | expired | failed
    status TEXT NOT NULL,
    payment_id BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (organisation_id, id),
    FOREIGN KEY (organisation_id, debtor_id) REFERENCES debtors (organisation_id, id)
);
CREATE UNIQUE INDEX online_payments_provider ON online_payments (provider, provider_id);
CREATE INDEX online_payments_debtor ON online_payments (organisation_id, debtor_id, id);
