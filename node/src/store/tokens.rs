//! The `tokens` table: API tokens, stored as SHA-256 hashes with their scopes and expiry.

use super::{JsonTable, Store};
use crate::error::Result;
use serde::{Deserialize, Serialize};

/// The `tokens` table.
pub const TABLE: JsonTable = JsonTable::new("tokens");

/// A token as persisted; the secret itself is never stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredToken {
    /// Public identifier (`root` for the root token).
    pub id: String,
    /// SHA-256 of the whole token string, hex.
    pub hash: String,
    /// Scope strings as granted.
    pub scopes: Vec<String>,
    /// Unix seconds.
    pub created_at: u64,
    /// Unix seconds; `None` never expires (root only).
    pub expires_at: Option<u64>,
}

impl Store {
    /// Inserts or replaces a token record (durable on return).
    pub fn put_token(&self, token: &StoredToken) -> Result<()> {
        self.put(TABLE, &token.id, token)
    }

    /// Deletes a token; returns whether it existed.
    pub fn delete_token(&self, id: &str) -> Result<bool> {
        self.remove(TABLE, id)
    }

    /// Every stored token.
    pub fn all_tokens(&self) -> Result<Vec<StoredToken>> {
        self.all(TABLE)
    }
}
