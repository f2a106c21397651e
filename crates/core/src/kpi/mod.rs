//! Key figures: ageing, DSO, days to pay.
