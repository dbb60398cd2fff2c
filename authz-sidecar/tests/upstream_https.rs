//! The upstream engine over HTTPS: the sidecar verifies the engine's certificate against
//! `tls.trust` and gets its decisions; an engine whose certificate another CA issued is not
//! trusted (503, nothing signed). Its own test binary: the outgoing trust is set once per
//! process.

mod common;

use common::creto_engine::CretoEngine;
use common::state_with;
use cretoai_authz_sidecar::config::EngineKind;
use cretoai_tls::settings::{Certificates, TlsSettings};
use serde_json::json;

#[actix_web::test]
async fn an_https_engine_is_verified_against_the_trusted_ca() {
    let dir = tempfile::tempdir().unwrap();
    let settings = TlsSettings {
        tls: true,
        ..TlsSettings::default()
    };
    let listen = "127.0.0.1:0".parse().unwrap();
    let engine_tls = cretoai_tls::ServerTls::prepare(
        &settings,
        &Certificates::Generated,
        listen,
        &dir.path().join("engine"),
    )
    .unwrap();
    let engine_ca = engine_tls.generated_ca.clone().unwrap();
    let engine = CretoEngine::start_with(Some(engine_tls));
    assert!(engine.url().starts_with("https://"));
    let url = engine.url();
    let (_dir, state) = state_with(|c| {
        c.engine.kind = EngineKind::Upstream;
        c.engine.upstream_url = Some(url);
        c.engine.upstream_timeout_ms = 5_000;
        c.tls.trust = Some(engine_ca);
        cretoai_authz_sidecar::https::install_outgoing(c).unwrap();
    });
    let app = app!(state);
    let check = json!({
        "principal": {"id": "alice", "roles": ["viewer"], "attributes": {}, "scope": "acme"},
        "resource": {"kind": "document", "id": "d1", "attributes": {}, "scope": "acme/finance"},
        "action": "read",
        "context": {}
    });
    let (s, a) = call!(
        app,
        post,
        "/v1/authorization/check",
        Some(check.clone()),
        Some("t")
    );
    assert_eq!(s, 200, "{a}");
    assert_eq!(a["allowed"], true, "{a}");
    assert_eq!(
        engine
            .state
            .checks_served
            .load(std::sync::atomic::Ordering::SeqCst),
        1
    );

    // Another engine, with a certificate from a CA the sidecar does not trust.
    let other_tls = cretoai_tls::ServerTls::prepare(
        &settings,
        &Certificates::Generated,
        listen,
        &dir.path().join("other"),
    )
    .unwrap();
    let other = CretoEngine::start_with(Some(other_tls));
    let url = other.url();
    let trusted = dir.path().join("engine/tls/ca.pem");
    let (_dir2, state) = state_with(|c| {
        c.engine.kind = EngineKind::Upstream;
        c.engine.upstream_url = Some(url);
        c.engine.upstream_timeout_ms = 5_000;
        c.tls.trust = Some(trusted);
    });
    let app = app!(state);
    let (s, a) = call!(app, post, "/v1/authorization/check", Some(check), Some("t"));
    assert_eq!(s, 503, "{a}");
    assert!(a.get("decision_token").is_none(), "{a}");
    assert_eq!(
        other
            .state
            .checks_served
            .load(std::sync::atomic::Ordering::SeqCst),
        0
    );
}
