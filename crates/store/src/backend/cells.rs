//! Named cells of a result row, whichever driver read it: the decoders in `common.rs` take any
//! [`Cells`], so a row of sqlx (either backend) and one of the direct SQLite reads
//! (`sqlite/direct.rs`) become the same record through the same code.

use crate::error::StoreError;

/// The typed cells of one result row, by column name.
pub(crate) trait Cells {
    fn int(&self, column: &'static str) -> Result<i64, StoreError>;
    fn opt_int(&self, column: &'static str) -> Result<Option<i64>, StoreError>;
    fn string(&self, column: &'static str) -> Result<String, StoreError>;
    fn opt_string(&self, column: &'static str) -> Result<Option<String>, StoreError>;
}

macro_rules! sqlx_cells {
    ($row:ty) => {
        impl Cells for $row {
            fn int(&self, column: &'static str) -> Result<i64, StoreError> {
                Ok(sqlx::Row::try_get(self, column)?)
            }
            fn opt_int(&self, column: &'static str) -> Result<Option<i64>, StoreError> {
                Ok(sqlx::Row::try_get(self, column)?)
            }
            fn string(&self, column: &'static str) -> Result<String, StoreError> {
                Ok(sqlx::Row::try_get(self, column)?)
            }
            fn opt_string(&self, column: &'static str) -> Result<Option<String>, StoreError> {
                Ok(sqlx::Row::try_get(self, column)?)
            }
        }
    };
}

sqlx_cells!(sqlx::sqlite::SqliteRow);
sqlx_cells!(sqlx::postgres::PgRow);
