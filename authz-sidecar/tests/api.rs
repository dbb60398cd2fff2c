//! The HTTP API: checks, the three modes, verification, JWKS, rotation,
//! comparison statistics and error answers.

mod common;

use common::{allowed_payment, state, state_in, ROOT};
use serde_json::{json, Value};

fn header_of(token: &str) -> Value {
    use base64::Engine as _;
    let h = token.split('.').next().unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(h)
            .unwrap(),
    )
    .unwrap()
}

#[actix_web::test]
async fn each_mode_signs_with_its_algorithm_and_the_token_verifies() {
    let (_dir, state) = state();
    let app = app!(state);
    for (mode, alg) in [
        ("classical", "RS256"),
        ("hybrid", "ML-DSA-65-Ed25519"),
        ("pqc", "ML-DSA-65"),
    ] {
        let (s, m) = set_mode!(app, mode);
        assert_eq!((s, m["signing_alg"].as_str()), (200, Some(alg)), "{m}");

        let (s, answer) = check!(app, allowed_payment());
        assert_eq!(s, 200, "{answer}");
        assert_eq!(answer["allowed"], true);
        assert_eq!(answer["effect"], "allow");
        assert_eq!(answer["policy"], "payments-agent");
        assert_eq!(answer["rule"], "initiate-within-limit");
        let token = answer["decision_token"].as_str().unwrap();
        assert_eq!(header_of(token)["alg"], alg);
        assert_eq!(answer["signature"]["alg"], alg);

        let (s, v) = verify!(app, token);
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["valid"], true);
        let claims = &v["claims"];
        assert_eq!(claims["sub"], "agent-7");
        assert_eq!(claims["act"], "payments:initiate");
        assert_eq!(claims["res"], "Payment:p-1");
        assert_eq!(claims["effect"], "allow");
        assert_eq!(claims["iss"], "cretoai-authz-sidecar");
        assert_eq!(
            claims["req_hash"],
            cretoai_authz_sidecar::claims::request_hash(&allowed_payment())
        );
        assert_eq!(
            claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap(),
            300
        );
    }
}

#[actix_web::test]
async fn denied_decisions_are_signed_too() {
    let (_dir, state) = state();
    let app = app!(state);
    let mut body = allowed_payment();
    body["resource"]["attributes"]["destination_country"] = json!("KP");
    let (s, answer) = check!(app, body);
    assert_eq!(s, 200);
    assert_eq!(
        (answer["allowed"].as_bool(), answer["rule"].as_str()),
        (Some(false), Some("sanctioned-destination"))
    );
    let token = answer["decision_token"].as_str().unwrap();
    let (_, v) = verify!(app, token);
    assert_eq!(v["claims"]["effect"], "deny");
}

#[actix_web::test]
async fn upgrade_path_acceptance_rules() {
    let (_dir, state) = state();
    let app = app!(state);
    let issue = |mode: &'static str| {
        let app = &app;
        async move {
            set_mode!(app, mode);
            let (_, a) = check!(app, allowed_payment());
            a["decision_token"].as_str().unwrap().to_string()
        }
    };
    let classical = issue("classical").await;
    let composite = issue("hybrid").await;
    let pqc = issue("pqc").await;
    let verify = |mode: &'static str, token: String| {
        let app = &app;
        async move {
            set_mode!(app, mode);
            let (s, v) = verify!(app, token);
            (s, v["error"]["code"].as_str().unwrap_or("ok").to_string())
        }
    };
    // hybrid accepts everything.
    for t in [&classical, &composite, &pqc] {
        assert_eq!(verify("hybrid", t.clone()).await, (200, "ok".into()));
    }
    // pqc refuses classical-only tokens and says why.
    assert_eq!(
        verify("pqc", classical.clone()).await,
        (422, "alg_not_accepted".into())
    );
    assert_eq!(verify("pqc", composite.clone()).await.0, 200);
    assert_eq!(verify("pqc", pqc.clone()).await.0, 200);
    // classical accepts classical only.
    assert_eq!(verify("classical", classical).await.0, 200);
    assert_eq!(
        verify("classical", pqc).await,
        (422, "alg_not_accepted".into())
    );
}

#[actix_web::test]
async fn admin_endpoints_need_the_bearer_token() {
    let (_dir, state) = state();
    let app = app!(state);
    for bearer in [None, Some("wrong")] {
        let (s, e) = call!(
            app,
            put,
            "/v1/admin/mode",
            Some(json!({"mode": "pqc"})),
            bearer
        );
        assert_eq!(
            (s, e["error"]["code"].as_str()),
            (401, Some("unauthorized"))
        );
        let (s, _) = call!(app, post, "/v1/admin/keys/rotate", None, bearer);
        assert_eq!(s, 401);
    }
    let (_, m) = call!(app, get, "/v1/mode", None, None::<&str>);
    assert_eq!(m["mode"], "classical");
    let (s, e) = set_mode!(app, "quantum");
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (400, Some("invalid_request"))
    );
}

#[actix_web::test]
async fn jwks_publishes_every_key_and_rotation_keeps_old_tokens_valid() {
    let (_dir, state) = state();
    let app = app!(state);
    let (_, jwks) = call!(app, get, "/.well-known/jwks.json", None, None::<&str>);
    let keys = jwks["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 7);
    for k in keys {
        assert!(k["kid"].as_str().unwrap().len() == 43);
        match k["kty"].as_str().unwrap() {
            "RSA" => assert!(k["n"].is_string() && k["e"] == "AQAB"),
            "OKP" => assert_eq!(k["crv"], "Ed25519"),
            "AKP" => assert!(
                k["pub"].as_str().unwrap().len() > 1000
                    && k["alg"].as_str().unwrap().starts_with("ML-DSA")
            ),
            other => panic!("unexpected kty {other}"),
        }
    }
    let (_, a) = check!(app, allowed_payment());
    let old_token = a["decision_token"].as_str().unwrap().to_string();
    let old_kid = a["signature"]["kid"].as_str().unwrap().to_string();

    let (s, r) = call!(
        app,
        post,
        "/v1/admin/keys/rotate",
        Some(json!({"alg": "RS256"})),
        Some(ROOT)
    );
    assert_eq!(s, 200, "{r}");
    let new_kid = r["rotated"][0]["kid"].as_str().unwrap().to_string();
    assert_ne!(new_kid, old_kid);

    let (_, jwks) = call!(app, get, "/.well-known/jwks.json", None, None::<&str>);
    let kids: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert!(kids.contains(&old_kid.as_str()) && kids.contains(&new_kid.as_str()));

    let (s, _) = verify!(app, old_token);
    assert_eq!(s, 200, "a token issued before rotation still verifies");
    let (_, a) = check!(app, allowed_payment());
    assert_eq!(a["signature"]["kid"], new_kid.as_str());

    // An empty body rotates every algorithm.
    let (s, r) = call!(app, post, "/v1/admin/keys/rotate", None, Some(ROOT));
    assert_eq!((s, r["rotated"].as_array().unwrap().len()), (200, 7));
}

#[actix_web::test]
async fn compare_reports_every_algorithm_from_real_measurements() {
    let (_dir, state) = state();
    let app = app!(state);
    let mut body = allowed_payment();
    body["compare"] = json!(true);
    let (s, a) = check!(app, body);
    assert_eq!(s, 200);
    let costs = a["compare"].as_array().unwrap();
    assert_eq!(
        costs.len(),
        10,
        "7 algorithms on aws-lc-rs + 3 classical on rust-crypto"
    );
    for c in costs {
        assert!(
            c["sign_us"].as_f64().unwrap() > 0.0 && c["verify_us"].as_f64().unwrap() > 0.0,
            "{c}"
        );
        assert!(c["token_bytes"].as_u64().unwrap() > c["signature_bytes"].as_u64().unwrap());
    }
    let composite = costs
        .iter()
        .find(|c| c["alg"] == "ML-DSA-65-Ed25519")
        .unwrap();
    assert_eq!(composite["signature_bytes"], 3373);
    // The compare field is a sidecar extension: it is not part of the hashed request.
    let (_, v) = verify!(app, a["decision_token"]);
    assert_eq!(
        v["claims"]["req_hash"],
        cretoai_authz_sidecar::claims::request_hash(&allowed_payment())
    );

    let (_, stats) = call!(app, get, "/v1/compare", None, None::<&str>);
    let algs = stats["algorithms"].as_array().unwrap();
    assert_eq!(algs.len(), 10);
    let rs256 = algs
        .iter()
        .find(|s| s["alg"] == "RS256" && s["backend"] == "aws-lc-rs")
        .unwrap();
    assert_eq!(
        rs256["sign_samples"], 2,
        "the check's own signature plus the comparison run"
    );
    assert!(rs256["sign_us"]["p95"].as_f64().unwrap() >= rs256["sign_us"]["p50"].as_f64().unwrap());
    assert_eq!(rs256["signature_bytes"], 256);
}

#[actix_web::test]
async fn bad_requests_get_json_errors() {
    let (_dir, state) = state();
    let app = app!(state);
    let (s, e) = check!(app, json!({"principal": {}}));
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (400, Some("invalid_request"))
    );
    let mut float = allowed_payment();
    float["context"] = json!({"risk": 0.5});
    let (s, e) = check!(app, float);
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (400, Some("policy_error"))
    );
    let mut big = allowed_payment();
    big["context"] = json!({"blob": "x".repeat(70 * 1024)});
    let (s, e) = check!(app, big);
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (400, Some("invalid_request"))
    );
    let (s, e) = call!(app, get, "/v1/nope", None, None::<&str>);
    assert_eq!((s, e["error"]["code"].as_str()), (404, Some("not_found")));
    let (s, _) = call!(app, get, "/healthz", None, None::<&str>);
    assert_eq!(s, 200);
}

#[actix_web::test]
async fn the_connection_route_reports_plain_http_without_a_handshake() {
    let (_dir, state) = state();
    let app = app!(state);
    let (s, answer) = call!(app, get, "/v1/sys/connection", None, None::<&str>);
    assert_eq!(s, 200, "{answer}");
    assert_eq!(
        answer,
        json!({"transport": "http", "tls_version": null, "cipher_suite": null,
               "key_exchange_group": null, "post_quantum": false, "client_certificate": false})
    );
}

#[actix_web::test]
async fn ready_and_healthz_answer_200_with_the_builtin_engine() {
    let (_dir, state) = state();
    let app = app!(state);
    let (s, r) = call!(app, get, "/ready", None, None::<&str>);
    assert_eq!(s, 200, "{r}");
    assert_eq!(
        (
            r["status"].as_str(),
            r["engine"].as_str(),
            r["signing_alg"].as_str()
        ),
        (Some("ready"), Some("cedar"), Some("RS256"))
    );
    let (s, h) = call!(app, get, "/healthz", None, None::<&str>);
    assert_eq!((s, h["status"].as_str()), (200, Some("ok")));
}

#[actix_web::test]
async fn a_switch_that_cannot_be_recorded_is_refused_and_not_applied() {
    let (dir, state) = state();
    let app = app!(state);
    let (s, _) = set_mode!(app, "hybrid");
    assert_eq!(s, 200);
    drop(app);
    drop(state);
    let state = state_in(dir.path(), |_| {});
    assert_eq!(state.mode().as_str(), "hybrid", "reopening is a restart");

    // A directory where the file goes: the rename fails, as on a full or
    // read-only disk (permissions alone do not stop a root test runner).
    std::fs::remove_file(dir.path().join("mode")).unwrap();
    std::fs::create_dir(dir.path().join("mode")).unwrap();
    let app = app!(state);
    let (s, e) = set_mode!(app, "pqc");
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (500, Some("mode_store_error")),
        "{e}"
    );
    let (_, m) = call!(app, get, "/v1/mode", None, None::<&str>);
    assert_eq!(
        m["mode"], "hybrid",
        "an unrecorded switch does not take effect"
    );
}
