//! Contract tests of the `upstream` engine against a stand-in that answers as the Creto AuthZ
//! Engine's REST server does (`common/creto_engine.rs`), on a real socket: what is signed,
//! what is an error with nothing signed, the engine's metadata passed on unchanged and bound
//! to the token, readiness from the engine's `/health`, and who may ask.

mod common;

use common::creto_engine::CretoEngine;
use common::state_with;
use cretoai_authz_sidecar::claims::request_hash;
use cretoai_authz_sidecar::config::EngineKind;
use cretoai_authz_sidecar::engine::upstream::PROBE_CACHE_TTL;
use serde_json::{json, Value};
use std::sync::atomic::Ordering;

fn document_check(principal: &str, roles: &[&str], action: &str) -> Value {
    json!({
        "principal": {"id": principal, "roles": roles, "attributes": {}, "scope": "acme"},
        "resource": {"kind": "document", "id": "d1", "attributes": {}, "scope": "acme/finance"},
        "action": action,
        "context": {}
    })
}

fn upstream(
    engine: &CretoEngine,
    timeout_ms: u64,
) -> impl FnOnce(&mut cretoai_authz_sidecar::config::Config) {
    let url = engine.url();
    move |c| {
        c.engine.kind = EngineKind::Upstream;
        c.engine.upstream_url = Some(url);
        c.engine.upstream_timeout_ms = timeout_ms;
    }
}

#[actix_web::test]
async fn allows_and_both_kinds_of_deny_are_signed_with_the_engine_metadata_unchanged() {
    let engine = CretoEngine::start();
    let (_dir, state) = state_with(upstream(&engine, 2_000));
    let app = app!(state);

    let (s, a) = call!(
        app,
        post,
        "/v1/authorization/check",
        Some(document_check("alice", &["viewer"], "read")),
        Some("client-token")
    );
    assert_eq!(s, 200, "{a}");
    assert_eq!(
        (&a["allowed"], &a["effect"], &a["policy"], &a["rule"]),
        (
            &json!(true),
            &json!("allow"),
            &json!("example-policy"),
            &json!("allow-read")
        )
    );
    let meta = &a["metadata"];
    assert_eq!(
        meta["scope_resolution"]["matchedScope"], "acme/finance",
        "{a}"
    );
    assert_eq!(
        meta["policy_resolution"]["evaluationOrder"],
        json!(["principal", "resource"])
    );
    assert_eq!(
        meta["policy_resolution"]["scopeResolution"]["inheritanceChain"],
        json!(["acme/finance"])
    );
    assert_eq!(meta["evaluation_duration_ms"], 0.042);
    assert_eq!(
        meta.as_object().unwrap().len(),
        7,
        "the engine's metadata and nothing else: {meta}"
    );
    assert!(
        a["sidecar"]["engine_us"].is_u64(),
        "the sidecar's additions apart: {a}"
    );
    assert_eq!(
        engine.state.last_authorization.lock().unwrap().as_deref(),
        Some("Bearer client-token"),
        "the caller's Authorization goes to the engine"
    );
    let (s, v) = verify!(app, a["decision_token"]);
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["claims"]["effect"], "allow");
    assert_eq!(
        v["claims"]["meta_hash"].as_str(),
        Some(request_hash(meta).as_str())
    );

    // No rule matched: the engine's default deny (effect "") is a signed deny.
    // An explicit deny rule: the same.
    for (roles, action, rule) in [
        (&["intern"][..], "read", Value::Null),
        (&["editor"][..], "purge", json!("deny-purge")),
    ] {
        let (s, d) = check!(app, document_check("bob", roles, action));
        assert_eq!(s, 200, "{d}");
        assert_eq!(
            (&d["allowed"], &d["effect"], &d["rule"]),
            (&json!(false), &json!("deny"), &rule),
            "{d}"
        );
        assert!(d["metadata"]["request_id"].is_string(), "{d}");
        let (s, v) = verify!(app, d["decision_token"]);
        assert_eq!((s, &v["claims"]["effect"]), (200, &json!("deny")), "{v}");
        assert_eq!(
            v["claims"]["meta_hash"].as_str(),
            Some(request_hash(&d["metadata"]).as_str())
        );
    }
}

#[actix_web::test]
async fn engine_failures_fail_closed_with_a_code_a_client_can_act_on() {
    let engine = CretoEngine::start();
    let (_dir, state) = state_with(upstream(&engine, 300));
    let app = app!(state);

    // (principal, status, code, Retry-After)
    for (who, status, code, retry) in [
        ("liar", 502, "upstream_error", None),
        ("vague", 502, "upstream_error", None),
        ("stringly", 502, "upstream_error", None),
        ("garbage", 502, "upstream_error", None),
        ("broken", 502, "upstream_error", None),
        ("unauthorized", 502, "upstream_error", None),
        ("forbidden", 502, "upstream_error", None),
        ("missing", 502, "upstream_error", None),
        ("unprocessable", 400, "upstream_rejected", None),
        ("throttled", 503, "upstream_unavailable", Some("3")),
        ("slow", 503, "upstream_unavailable", Some("1")),
    ] {
        let req = actix_web::test::TestRequest::post()
            .uri("/v1/authorization/check")
            .set_json(document_check(who, &["viewer"], "read"))
            .to_request();
        let resp = actix_web::test::call_service(&app, req).await;
        assert_eq!(resp.status().as_u16(), status, "{who}");
        let after = resp
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap().to_string());
        assert_eq!(after.as_deref(), retry, "{who}");
        let body: Value = serde_json::from_slice(&actix_web::test::read_body(resp).await).unwrap();
        assert_eq!(body["error"]["code"], code, "{who}: {body}");
        assert!(body.get("decision_token").is_none(), "{who}");
    }

    // The engine's own 400 for a missing field carries its message.
    let mut no_id = document_check("alice", &["viewer"], "read");
    no_id["resource"]["id"] = json!("");
    let (s, e) = check!(app, no_id);
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (400, Some("upstream_rejected")),
        "{e}"
    );
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("resource.id is required"),
        "{e}"
    );

    engine.stop().await;
    let (s, e) = check!(app, document_check("alice", &["viewer"], "read"));
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (503, Some("upstream_unavailable")),
        "{e}"
    );
}

#[actix_web::test]
async fn readiness_follows_the_engine_health_and_is_probed_once_per_interval() {
    let engine = CretoEngine::start();
    let (_dir, state) = state_with(upstream(&engine, 2_000));
    let app = app!(state);
    let ready = || {
        let app = &app;
        async move { call!(app, get, "/ready", None, None::<&str>) }
    };

    let answers = futures_util::future::join_all((0..20).map(|_| ready())).await;
    for (s, r) in &answers {
        assert_eq!((*s, &r["engine_health"]), (200, &json!("healthy")), "{r}");
    }
    assert_eq!(
        engine.state.health_calls.load(Ordering::SeqCst),
        1,
        "one probe for 20 checks"
    );

    // A failing cache slows the engine down but it still decides: degraded, ready.
    *engine.state.checks.lock().unwrap() =
        Some(json!({"cache": "error", "engine": "ok", "policy_store": "ok"}));
    actix_web::rt::time::sleep(PROBE_CACHE_TTL).await;
    let (s, r) = ready().await;
    assert_eq!((s, &r["engine_health"]), (200, &json!("degraded")), "{r}");

    for broken in ["engine", "policy_store"] {
        let mut checks = json!({"cache": "ok", "engine": "ok", "policy_store": "ok"});
        checks[broken] = json!("error");
        *engine.state.checks.lock().unwrap() = Some(checks);
        actix_web::rt::time::sleep(PROBE_CACHE_TTL).await;
        let (s, r) = ready().await;
        assert_eq!(
            (s, r["error"]["code"].as_str()),
            (503, Some("not_ready")),
            "{r}"
        );
        assert!(
            r["error"]["message"].as_str().unwrap().contains(broken),
            "{r}"
        );
    }

    engine.stop().await;
    actix_web::rt::time::sleep(PROBE_CACHE_TTL).await;
    let (s, r) = ready().await;
    assert_eq!(
        (s, r["error"]["code"].as_str()),
        (503, Some("not_ready")),
        "{r}"
    );
    let (s, _) = call!(app, get, "/healthz", None, None::<&str>);
    assert_eq!(s, 200, "liveness does not depend on the engine");
}

#[actix_web::test]
async fn off_loopback_a_check_needs_an_authz_check_token() {
    let engine = CretoEngine::start();
    let (_dir, state) = state_with(|c| {
        upstream(&engine, 2_000)(c);
        c.listen = "0.0.0.0:8090".parse().unwrap();
        c.checks.tokens = vec!["app-check-token".to_string().into()];
    });
    let app = app!(state);
    let body = || Some(document_check("alice", &["viewer"], "read"));
    for (token, status) in [
        (None, 401),
        (Some("wrong"), 401),
        (Some("app-check-token"), 200),
        (Some(common::ROOT), 200),
    ] {
        let (s, a) = call!(app, post, "/v1/authorization/check", body(), token);
        assert_eq!(s, status, "{token:?}: {a}");
    }
    let served = engine.state.checks_served.load(Ordering::SeqCst);
    assert_eq!(served, 2, "refused callers never reach the engine");

    // On loopback (the default) a co-located application may ask without one.
    let (_dir2, open) = state_with(upstream(&engine, 2_000));
    let app = app!(open);
    let (s, a) = call!(app, post, "/v1/authorization/check", body(), None::<&str>);
    assert_eq!(s, 200, "{a}");
}
