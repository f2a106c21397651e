//! Legal rules: charges with their explanation (being written).
