//! Batch forms: a JSON array of single-item requests in, an array of per-item results out.
//! A bad item (malformed, unknown key, out of scope, ...) gets its own error; the rest succeed.

use super::error::ErrorBody;
use super::AppState;
use crate::error::{NodeError, Result};
use futures_util::future::join_all;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::future::Future;
use utoipa::ToSchema;

/// One item's outcome: the single-request response, or the standard error object.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum BatchItem<T> {
    /// The item succeeded.
    Ok(T),
    /// The item failed.
    Err(ErrorBody),
}

/// Parses each item on its own and runs them concurrently (the crypto pool spreads them over
/// every core), keeping the input order.
pub async fn run<Req, Resp, F, Fut>(
    state: &AppState,
    items: Vec<serde_json::Value>,
    one: F,
) -> Result<Vec<BatchItem<Resp>>>
where
    Req: DeserializeOwned,
    F: Fn(Req) -> Fut,
    Fut: Future<Output = Result<Resp>>,
{
    if items.is_empty() || items.len() > state.max_batch_items {
        return Err(NodeError::InvalidRequest(format!(
            "a batch holds 1 to {} items, got {}",
            state.max_batch_items,
            items.len()
        )));
    }
    let work = items.into_iter().enumerate().map(|(i, item)| {
        let parsed = serde_json::from_value::<Req>(item)
            .map_err(|e| NodeError::InvalidJson(format!("item {i}: {e}")));
        let one = &one;
        async move {
            match parsed {
                Ok(req) => one(req).await,
                Err(e) => Err(e),
            }
        }
    });
    Ok(join_all(work)
        .await
        .into_iter()
        .map(|outcome| match outcome {
            Ok(resp) => BatchItem::Ok(resp),
            Err(e) => BatchItem::Err(ErrorBody::from(&e)),
        })
        .collect())
}

/// Declares the OpenAPI schema of one batch result for a concrete response type (utoipa cannot
/// name a generic instance in a path annotation).
macro_rules! batch_item_schema {
    ($($name:ident => $resp:ty),*) => {$(
        #[doc = concat!("One batch result: a `", stringify!($resp), "` or an error object.")]
        #[derive(Debug, Serialize, ToSchema)]
        #[serde(untagged)]
        pub enum $name {
            /// The item succeeded.
            Ok($resp),
            /// The item failed.
            Err(ErrorBody),
        }
    )*};
}

use super::crypto::{DecryptResponse, EncryptResponse, SignResponse, VerifyResponse};
batch_item_schema!(
    EncryptBatchItem => EncryptResponse,
    DecryptBatchItem => DecryptResponse,
    SignBatchItem => SignResponse,
    VerifyBatchItem => VerifyResponse
);
