//! Demo data (generator follows).
