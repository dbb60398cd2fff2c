//! `/v1/encrypt`, `/v1/decrypt`, `/v1/sign`, `/v1/verify` and their batch forms.
//!
//! Handlers decode the request and check the token's scope on the HTTP worker, then call
//! [`crate::keys::operations`]. A single request's one primitive over a small input runs right
//! there on the HTTP worker; batch items and longer work run on the crypto pool (see
//! [`crate::crypto_pool`] for why).

use super::batch::{self, BatchItem};
use super::error::ErrorBody;
use super::{decode_field, decode_optional, encode_field, AppState};
use crate::auth::scope::Need;
use crate::auth::Principal;
use crate::crypto_pool::Placement;
use crate::error::{NodeError, Result};
use crate::keys::key_ring::KeyType;
use crate::keys::KeyError;
use actix_web::web;
use cretoai_crypto::ml_dsa::MAX_CONTEXT_LEN;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Body of `POST /v1/encrypt`: either `key`, or `public_key` with `algorithm`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EncryptRequest {
    /// Name of an `ml-kem-768` key; its latest version is used.
    #[schema(example = "orders")]
    pub key: Option<String>,
    /// Standard base64 of someone else's ML-KEM-768 encapsulation key (1184 bytes).
    pub public_key: Option<String>,
    /// With `public_key`: must be `ml-kem-768`.
    #[schema(example = "ml-kem-768")]
    pub algorithm: Option<String>,
    /// Standard base64 of the plaintext.
    #[schema(example = "aGVsbG8gd29ybGQ=")]
    pub plaintext: String,
    /// Standard base64 of additional authenticated data; the same value is needed to decrypt.
    pub aad: Option<String>,
}

/// Response of `POST /v1/encrypt`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct EncryptResponse {
    /// `cretoai:v<version>:<base64>`; see docs/formats.md.
    #[schema(example = "cretoai:v1:AbCd...")]
    pub ciphertext: String,
    /// Key version sealed to; 0 for a bare public key.
    pub key_version: u32,
}

/// Body of `POST /v1/decrypt`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecryptRequest {
    /// Name of the `ml-kem-768` key.
    pub key: String,
    /// A ciphertext string from `/v1/encrypt`.
    pub ciphertext: String,
    /// Standard base64 of the AAD given at encryption.
    pub aad: Option<String>,
}

/// Response of `POST /v1/decrypt`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DecryptResponse {
    /// Standard base64 of the plaintext.
    pub plaintext: String,
}

/// Body of `POST /v1/sign`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignRequest {
    /// Name of an `ml-dsa-*` key; its latest version signs.
    #[schema(example = "payments-signer")]
    pub key: String,
    /// Standard base64 of the message.
    #[schema(example = "aGVsbG8gd29ybGQ=")]
    pub message: String,
    /// FIPS 204 context string, UTF-8, at most 255 bytes (default empty).
    #[schema(example = "payments/v1")]
    pub context: Option<String>,
}

/// Response of `POST /v1/sign`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SignResponse {
    /// Standard base64 of the raw FIPS 204 signature.
    pub signature: String,
    /// `ml-dsa-44`, `ml-dsa-65` or `ml-dsa-87`.
    pub algorithm: String,
    /// Version that signed.
    pub key_version: u32,
}

/// Body of `POST /v1/verify`: either `key` (optionally `key_version`), or `public_key` with
/// `algorithm`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyRequest {
    /// Name of an `ml-dsa-*` key.
    pub key: Option<String>,
    /// With `key`: the version to check; without it every live version is tried.
    pub key_version: Option<u32>,
    /// Standard base64 of an ML-DSA verifying key.
    pub public_key: Option<String>,
    /// With `public_key`: `ml-dsa-44`, `ml-dsa-65` or `ml-dsa-87`.
    pub algorithm: Option<String>,
    /// Standard base64 of the message.
    pub message: String,
    /// Standard base64 of the signature.
    pub signature: String,
    /// FIPS 204 context string, UTF-8, at most 255 bytes (default empty).
    pub context: Option<String>,
}

/// Response of `POST /v1/verify`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct VerifyResponse {
    /// Whether the signature is valid for the message, context and key.
    pub valid: bool,
}

/// Which key an encrypt or verify request names.
enum Target<'a> {
    Named(&'a str),
    Public(&'a str, KeyType),
}

fn target<'a>(
    key: Option<&'a str>,
    public_key: Option<&'a str>,
    algorithm: Option<&str>,
) -> Result<Target<'a>> {
    match (key, public_key, algorithm) {
        (Some(name), None, None) => Ok(Target::Named(name)),
        (None, Some(pk), Some(alg)) => Ok(Target::Public(pk, KeyType::parse(alg)?)),
        _ => Err(NodeError::InvalidRequest(
            "give either `key`, or `public_key` together with `algorithm`".into(),
        )),
    }
}

fn context_bytes(context: Option<String>) -> Result<Vec<u8>> {
    let bytes = context.unwrap_or_default().into_bytes();
    if bytes.len() > MAX_CONTEXT_LEN {
        return Err(NodeError::ContextTooLong);
    }
    Ok(bytes)
}

async fn encrypt_one(
    auth: &Principal,
    state: &AppState,
    req: EncryptRequest,
    placement: Placement,
) -> Result<EncryptResponse> {
    let plaintext = decode_field("plaintext", &req.plaintext)?;
    let aad = decode_optional("aad", req.aad.as_deref())?;
    let target = target(
        req.key.as_deref(),
        req.public_key.as_deref(),
        req.algorithm.as_deref(),
    )?;
    let (ciphertext, key_version) = match target {
        Target::Named(name) => {
            auth.require(Need::on("crypto", "encrypt", name))?;
            state
                .key_operations
                .encrypt(name, plaintext, aad, placement)
                .await?
        }
        Target::Public(pk, key_type) => {
            auth.require(Need::any("crypto", "encrypt"))?;
            if key_type != KeyType::MlKem768 {
                return Err(wrong_inline_type(key_type, "ml-kem-768"));
            }
            let pk = decode_field("public_key", pk)?;
            let ciphertext = state
                .key_operations
                .encrypt_to(pk, plaintext, aad, placement)
                .await?;
            (ciphertext, 0)
        }
    };
    Ok(EncryptResponse {
        ciphertext,
        key_version,
    })
}

async fn decrypt_one(
    auth: &Principal,
    state: &AppState,
    req: DecryptRequest,
    placement: Placement,
) -> Result<DecryptResponse> {
    auth.require(Need::on("crypto", "decrypt", &req.key))?;
    let aad = decode_optional("aad", req.aad.as_deref())?;
    let plaintext = state
        .key_operations
        .decrypt(&req.key, req.ciphertext, aad, placement)
        .await?;
    Ok(DecryptResponse {
        plaintext: encode_field(&plaintext),
    })
}

async fn sign_one(
    auth: &Principal,
    state: &AppState,
    req: SignRequest,
    placement: Placement,
) -> Result<SignResponse> {
    auth.require(Need::on("crypto", "sign", &req.key))?;
    let message = decode_field("message", &req.message)?;
    let context = context_bytes(req.context)?;
    let signed = state
        .key_operations
        .sign(&req.key, message, context, placement)
        .await?;
    Ok(SignResponse {
        signature: encode_field(&signed.signature),
        algorithm: signed.algorithm.to_string(),
        key_version: signed.key_version,
    })
}

async fn verify_one(
    auth: &Principal,
    state: &AppState,
    req: VerifyRequest,
    placement: Placement,
) -> Result<VerifyResponse> {
    let message = decode_field("message", &req.message)?;
    let signature = decode_field("signature", &req.signature)?;
    let context = context_bytes(req.context)?;
    let target = target(
        req.key.as_deref(),
        req.public_key.as_deref(),
        req.algorithm.as_deref(),
    )?;
    let ops = &state.key_operations;
    let valid = match target {
        Target::Named(name) => {
            auth.require(Need::on("crypto", "verify", name))?;
            ops.verify(
                name,
                req.key_version,
                message,
                signature,
                context,
                placement,
            )
            .await?
        }
        Target::Public(pk, key_type) => {
            auth.require(Need::any("crypto", "verify"))?;
            let KeyType::MlDsa(level) = key_type else {
                return Err(wrong_inline_type(key_type, "ml-dsa-44/65/87"));
            };
            if req.key_version.is_some() {
                return Err(NodeError::InvalidRequest(
                    "`key_version` only applies with `key`".into(),
                ));
            }
            let pk = decode_field("public_key", pk)?;
            ops.verify_public(level, pk, message, signature, context, placement)
                .await?
        }
    };
    Ok(VerifyResponse { valid })
}

fn wrong_inline_type(actual: KeyType, expected: &'static str) -> NodeError {
    NodeError::Keys(KeyError::WrongType {
        name: "public_key".into(),
        actual: actual.as_str(),
        expected,
    })
}

/// Encrypt (ML-KEM-768 + HKDF-SHA-256 + AES-256-GCM) to a named key or a bare public key.
#[utoipa::path(post, path = "/v1/encrypt", tag = "crypto", security(("bearer" = [])),
    request_body = EncryptRequest,
    responses((status = 200, body = EncryptResponse),
        (status = 400, description = "Bad base64, unknown algorithm, bad public key", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 422, description = "Not an ml-kem-768 key", body = ErrorBody)))]
pub async fn encrypt(
    auth: Principal,
    state: web::Data<AppState>,
    body: web::Json<EncryptRequest>,
) -> Result<web::Json<EncryptResponse>> {
    Ok(web::Json(
        encrypt_one(&auth, &state, body.into_inner(), Placement::Caller).await?,
    ))
}

/// Decrypt a ciphertext string with a named key.
#[utoipa::path(post, path = "/v1/decrypt", tag = "crypto", security(("bearer" = [])),
    request_body = DecryptRequest,
    responses((status = 200, body = DecryptResponse),
        (status = 400, description = "Malformed or tampered ciphertext, wrong aad", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, description = "Wrong key type, or version below min_decryption_version", body = ErrorBody)))]
pub async fn decrypt(
    auth: Principal,
    state: web::Data<AppState>,
    body: web::Json<DecryptRequest>,
) -> Result<web::Json<DecryptResponse>> {
    Ok(web::Json(
        decrypt_one(&auth, &state, body.into_inner(), Placement::Caller).await?,
    ))
}

/// Sign with a named ML-DSA key (pure ML-DSA, FIPS 204 context).
#[utoipa::path(post, path = "/v1/sign", tag = "crypto", security(("bearer" = [])),
    request_body = SignRequest,
    responses((status = 200, body = SignResponse),
        (status = 400, description = "Bad base64, context over 255 bytes", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, description = "Not an ml-dsa key", body = ErrorBody)))]
pub async fn sign(
    auth: Principal,
    state: web::Data<AppState>,
    body: web::Json<SignRequest>,
) -> Result<web::Json<SignResponse>> {
    Ok(web::Json(
        sign_one(&auth, &state, body.into_inner(), Placement::Caller).await?,
    ))
}

/// Verify a signature with a named key or a bare ML-DSA public key.
#[utoipa::path(post, path = "/v1/verify", tag = "crypto", security(("bearer" = [])),
    request_body = VerifyRequest,
    responses((status = 200, description = "`valid` tells the verdict", body = VerifyResponse),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn verify(
    auth: Principal,
    state: web::Data<AppState>,
    body: web::Json<VerifyRequest>,
) -> Result<web::Json<VerifyResponse>> {
    Ok(web::Json(
        verify_one(&auth, &state, body.into_inner(), Placement::Caller).await?,
    ))
}

/// Batch items: an array of values, each parsed on its own.
type Items = web::Json<Vec<serde_json::Value>>;

/// Declares the batch form of a single-item operation: same scopes and errors per item.
macro_rules! batch_route {
    ($name:ident, $one:ident, $path:literal, $req:ident, $resp:ident, $item:ident, $doc:literal) => {
        #[doc = $doc]
        #[utoipa::path(post, path = $path, tag = "crypto", security(("bearer" = [])),
            request_body = Vec<$req>,
            responses((status = 200, description = "One result per item, in order", body = Vec<batch::$item>),
                (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
        pub async fn $name(
            auth: Principal,
            state: web::Data<AppState>,
            body: Items,
        ) -> Result<web::Json<Vec<BatchItem<$resp>>>> {
            // Items always go to the pool, so one batch spreads over every core.
            let out = batch::run(&state, body.into_inner(), |r| {
                $one(&auth, &state, r, Placement::Pool)
            })
            .await?;
            Ok(web::Json(out))
        }
    };
}

batch_route!(
    encrypt_batch,
    encrypt_one,
    "/v1/encrypt/batch",
    EncryptRequest,
    EncryptResponse,
    EncryptBatchItem,
    "Encrypt many items; each result is an `EncryptResponse` or an error object."
);
batch_route!(
    decrypt_batch,
    decrypt_one,
    "/v1/decrypt/batch",
    DecryptRequest,
    DecryptResponse,
    DecryptBatchItem,
    "Decrypt many items; each result is a `DecryptResponse` or an error object."
);
batch_route!(
    sign_batch,
    sign_one,
    "/v1/sign/batch",
    SignRequest,
    SignResponse,
    SignBatchItem,
    "Sign many items; each result is a `SignResponse` or an error object."
);
batch_route!(
    verify_batch,
    verify_one,
    "/v1/verify/batch",
    VerifyRequest,
    VerifyResponse,
    VerifyBatchItem,
    "Verify many items; each result is a `VerifyResponse` or an error object."
);
