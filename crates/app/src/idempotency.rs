//! Idempotency-Key support for POST requests (see the web crate).
