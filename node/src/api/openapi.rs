//! The OpenAPI 3 document, generated from the handlers' annotations. It is served at
//! `/openapi.json` and committed as `openapi/openapi.json` (a test fails on drift).

use super::{
    audit, auth, authz, cluster, consensus, crypto, dashboard, events, health, keys, sys, vault,
    vertices,
};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// The API description.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "CretoAI node API",
        description = "Post-quantum encryption (ML-KEM-768 KEM-DEM) and signatures (ML-DSA-44/65/87, FIPS 204) with named, versioned keys. Binary fields are standard base64. Every /v1 route needs `Authorization: Bearer <token>` (browsers may instead offer the token to the `/v1/events` WebSocket as the subprotocol `cretoai.bearer.<base64url>`, next to `cretoai.v1`). The live dashboard is at `/dashboard`. Errors are `{\"error\":{\"code\":\"...\",\"message\":\"...\"}}`."
    ),
    paths(
        health::health, health::ready, health::metrics,
        keys::create, keys::list, keys::read, keys::rotate, keys::configure, keys::delete,
        crypto::encrypt, crypto::decrypt, crypto::sign, crypto::verify,
        crypto::encrypt_batch, crypto::decrypt_batch, crypto::sign_batch, crypto::verify_batch,
        auth::create_token, auth::revoke_token, auth::own_token, sys::connection,
        consensus::submit, consensus::submit_batch, consensus::transaction,
        vertices::vertices, vertices::vertex, consensus::status, events::events,
        cluster::status, cluster::history,
        authz::mode, authz::set_mode, authz::check, authz::verify, authz::compare, authz::anchor,
        vault::write, vault::read, vault::delete, vault::undelete, vault::destroy,
        vault::read_metadata, vault::update_metadata, vault::delete_metadata, vault::list,
        vault::rewrap, audit::list, audit::verify, dashboard::dashboard,
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "keys", description = "Named, versioned keys"),
        (name = "crypto", description = "Encrypt, decrypt, sign, verify"),
        (name = "auth", description = "API tokens"),
        (name = "consensus", description = "QR-Avalanche cluster: transactions, vertices, status, events"),
        (name = "vault", description = "Versioned secrets, encrypted at rest (ML-KEM-768 wrapped data keys)"),
        (name = "authz", description = "The AuthZ sidecar's demo routes, relayed by this node: decisions signed classical, hybrid or post-quantum"),
        (name = "audit", description = "Hash-chained audit log of vault and key operations"),
        (name = "health", description = "Liveness, readiness, metrics"),
        (name = "sys", description = "The caller's own connection: TLS version, cipher suite, key-exchange group (post-quantum or classical)"),
        (name = "dashboard", description = "The live dashboard page (no token needed for the page; it asks for one)"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The document as pretty JSON with a trailing newline, exactly as committed.
pub fn spec_json() -> String {
    let mut text = ApiDoc::openapi()
        .to_pretty_json()
        .unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
    text.push('\n');
    text
}
