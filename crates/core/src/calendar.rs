//! Business calendars: NL and BE public holidays, business days (being written).
