//! What can go wrong in the database: redb failures and records that do not decode.

/// A storage failure. Details go to the log; clients only learn that storage failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// redb failed, or a stored record is corrupt.
    #[error("storage error: {0}")]
    Database(String),
}

impl From<redb::Error> for StoreError {
    fn from(err: redb::Error) -> Self {
        StoreError::Database(err.to_string())
    }
}
