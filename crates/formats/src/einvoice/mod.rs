//! E-invoices (being written)
