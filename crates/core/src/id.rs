//! Typed ids. Stores assign them; the core only carries them, so an invoice id can never be passed
//! where a debtor id is expected.

use std::fmt;

macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }
    };
}

id_type!(
    /// An organisation (the creditor); every other row belongs to exactly one.
    OrganisationId
);
id_type!(DebtorId);
id_type!(InvoiceId);
id_type!(PaymentId);
id_type!(AllocationId);
id_type!(TokenId);
id_type!(
    /// A person who signs in to the web application; not tied to one organisation.
    UserId
);
