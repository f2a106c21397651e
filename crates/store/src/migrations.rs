//! Schema migrations: one tree per backend with the same numbering, embedded in the binary.
//!
//! A migration is applied in one transaction together with its row in `schema_migrations`, so a
//! crash leaves it either applied or not. A migration edited after it was applied is refused
//! (its checksum no longer matches), and so is a database newer than this binary.

/// One schema version, with its SQL for each backend.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sqlite: &'static str,
    pub postgres: &'static str,
}

/// Every migration, in order. The `tidy` test checks this list against both directories.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "ledger",
        sqlite: include_str!("../migrations/sqlite/0001_ledger.sql"),
        postgres: include_str!("../migrations/postgres/0001_ledger.sql"),
    },
    Migration {
        version: 2,
        name: "dunning",
        sqlite: include_str!("../migrations/sqlite/0002_dunning.sql"),
        postgres: include_str!("../migrations/postgres/0002_dunning.sql"),
    },
    Migration {
        version: 3,
        name: "reconciliation",
        sqlite: include_str!("../migrations/sqlite/0003_reconciliation.sql"),
        postgres: include_str!("../migrations/postgres/0003_reconciliation.sql"),
    },
    Migration {
        version: 4,
        name: "statement_mappings",
        sqlite: include_str!("../migrations/sqlite/0004_statement_mappings.sql"),
        postgres: include_str!("../migrations/postgres/0004_statement_mappings.sql"),
    },
    Migration {
        version: 5,
        name: "users",
        sqlite: include_str!("../migrations/sqlite/0005_users.sql"),
        postgres: include_str!("../migrations/postgres/0005_users.sql"),
    },
    Migration {
        version: 6,
        name: "open_amount_in_report_index",
        sqlite: include_str!("../migrations/sqlite/0006_open_amount_in_report_index.sql"),
        postgres: include_str!("../migrations/postgres/0006_open_amount_in_report_index.sql"),
    },
    Migration {
        version: 7,
        name: "api_token_creator",
        sqlite: include_str!("../migrations/sqlite/0007_api_token_creator.sql"),
        postgres: include_str!("../migrations/postgres/0007_api_token_creator.sql"),
    },
    Migration {
        version: 8,
        name: "ledger_days",
        sqlite: include_str!("../migrations/sqlite/0008_ledger_days.sql"),
        postgres: include_str!("../migrations/postgres/0008_ledger_days.sql"),
    },
    Migration {
        version: 9,
        name: "branding_and_bank_accounts",
        sqlite: include_str!("../migrations/sqlite/0009_branding_and_bank_accounts.sql"),
        postgres: include_str!("../migrations/postgres/0009_branding_and_bank_accounts.sql"),
    },
    Migration {
        version: 10,
        name: "portal",
        sqlite: include_str!("../migrations/sqlite/0010_portal.sql"),
        postgres: include_str!("../migrations/postgres/0010_portal.sql"),
    },
    Migration {
        version: 11,
        name: "online_payments",
        sqlite: include_str!("../migrations/sqlite/0011_online_payments.sql"),
        postgres: include_str!("../migrations/postgres/0011_online_payments.sql"),
    },
    Migration {
        version: 12,
        name: "payment_plans",
        sqlite: include_str!("../migrations/sqlite/0012_payment_plans.sql"),
        postgres: include_str!("../migrations/postgres/0012_payment_plans.sql"),
    },
    Migration {
        version: 13,
        name: "lighter_invoice_writes",
        sqlite: include_str!("../migrations/sqlite/0013_lighter_invoice_writes.sql"),
        postgres: include_str!("../migrations/postgres/0013_lighter_invoice_writes.sql"),
    },
    Migration {
        version: 14,
        name: "lighter_invoice_inserts",
        sqlite: include_str!("../migrations/sqlite/0014_lighter_invoice_inserts.sql"),
        postgres: include_str!("../migrations/postgres/0014_lighter_invoice_inserts.sql"),
    },
];

/// A stable checksum of a migration's text (64-bit FNV-1a, hex).
pub(crate) fn checksum(sql: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in sql.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016x}")
}

pub(crate) const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (\
    version BIGINT PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, \
    applied_at BIGINT NOT NULL)";
