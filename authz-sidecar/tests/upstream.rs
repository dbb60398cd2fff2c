//! The `upstream` engine: a fake Creto AuthZ Engine on a real socket. The
//! sidecar signs its answers, passes the caller's Authorization header on,
//! answers 502/504 with nothing signed when the engine fails, and reports
//! itself not ready while the engine cannot be reached, without opening a
//! connection to the engine for every readiness check.

mod common;

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use common::state_with;
use cretoai_authz_sidecar::config::EngineKind;
use cretoai_authz_sidecar::engine::upstream::PROBE_CACHE_TTL;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

async fn fake_engine(req: HttpRequest, body: web::Json<Value>) -> HttpResponse {
    let auth = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    match body["principal"]["id"].as_str().unwrap_or("") {
        "slow" => {
            actix_web::rt::time::sleep(Duration::from_millis(800)).await;
            HttpResponse::Ok().json(json!({"allowed": true, "effect": "allow"}))
        }
        "broken" => HttpResponse::InternalServerError().body("engine down"),
        "liar" => HttpResponse::Ok().json(json!({"allowed": true, "effect": "deny"})),
        "garbage" => HttpResponse::Ok().body("not json"),
        _ => HttpResponse::Ok().json(json!({
            "allowed": true, "effect": "allow", "policy": "upstream-policy", "rule": "r1",
            "metadata": {"seen_authorization": auth, "seen_action": body["action"]}
        })),
    }
}

fn check_for(principal: &str) -> Value {
    json!({
        "principal": {"id": principal, "roles": [], "attributes": {}},
        "resource": {"kind": "Document", "id": "d1", "attributes": {}},
        "action": "read",
        "context": {}
    })
}

#[actix_web::test]
async fn upstream_answers_are_signed_and_failures_are_not() {
    let server = HttpServer::new(|| {
        App::new().route("/v1/authorization/check", web::post().to(fake_engine))
    })
    .workers(1)
    .bind("127.0.0.1:0")
    .unwrap();
    let addr = server.addrs()[0];
    let server = server.run();
    let handle = server.handle();
    actix_web::rt::spawn(server);

    let (_dir, state) = state_with(|c| {
        c.engine.kind = EngineKind::Upstream;
        c.engine.upstream_url = Some(format!("http://{addr}/"));
        c.engine.upstream_timeout_ms = 300;
    });
    let app = app!(state);

    let (s, r) = call!(app, get, "/ready", None, None::<&str>);
    assert_eq!(
        (s, r["status"].as_str(), r["engine"].as_str()),
        (200, Some("ready"), Some("upstream")),
        "{r}"
    );

    let (s, a) = call!(
        app,
        post,
        "/v1/authorization/check",
        Some(check_for("agent-1")),
        Some("client-token")
    );
    assert_eq!(s, 200, "{a}");
    assert_eq!(
        (a["allowed"].as_bool(), a["policy"].as_str()),
        (Some(true), Some("upstream-policy"))
    );
    assert_eq!(a["metadata"]["seen_authorization"], "Bearer client-token");
    assert_eq!(a["metadata"]["seen_action"], "read");
    let (s, v) = verify!(app, a["decision_token"]);
    assert_eq!(
        (s, v["claims"]["policy"].as_str()),
        (200, Some("upstream-policy"))
    );

    for (who, status, code) in [
        ("slow", 504, "upstream_timeout"),
        ("broken", 502, "upstream_error"),
        ("liar", 502, "upstream_error"),
        ("garbage", 502, "upstream_error"),
    ] {
        let (s, e) = check!(app, check_for(who));
        assert_eq!(
            (s, e["error"]["code"].as_str()),
            (status, Some(code)),
            "{who}: {e}"
        );
        assert!(e.get("decision_token").is_none());
    }
    handle.stop(false).await;

    // Nobody listening any more: connection refused is a 502.
    let (s, e) = check!(app, check_for("agent-1"));
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (502, Some("upstream_error")),
        "{e}"
    );
    // Until it expires, /ready answers from the probe made while the engine was up.
    actix_web::rt::time::sleep(PROBE_CACHE_TTL).await;
    let (s, r) = call!(app, get, "/ready", None, None::<&str>);
    assert_eq!(
        (s, r["error"]["code"].as_str()),
        (503, Some("not_ready")),
        "{r}"
    );
    let message = r["error"]["message"].as_str().unwrap();
    assert!(message.contains(&addr.to_string()), "{message}");
    let (s, _) = call!(app, get, "/healthz", None, None::<&str>);
    assert_eq!(s, 200, "liveness does not depend on the engine");
}

#[actix_web::test]
async fn an_engine_that_was_never_there_is_not_ready_within_the_probe_budget() {
    let closed = common::free_port();
    let (_dir, state) = state_with(|c| {
        c.engine.kind = EngineKind::Upstream;
        c.engine.upstream_url = Some(format!("http://{closed}"));
        c.engine.upstream_timeout_ms = 5000;
    });
    let app = app!(state);
    let t = std::time::Instant::now();
    let (s, r) = call!(app, get, "/ready", None, None::<&str>);
    assert_eq!(
        (s, r["error"]["code"].as_str()),
        (503, Some("not_ready")),
        "{r}"
    );
    assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
}

#[actix_web::test]
async fn readiness_checks_share_a_probe_until_it_expires() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = accepted.clone();
    let engine = actix_web::rt::spawn(async move {
        loop {
            if listener.accept().await.is_ok() {
                counter.fetch_add(1, Ordering::SeqCst);
            }
        }
    });
    let (_dir, state) = state_with(|c| {
        c.engine.kind = EngineKind::Upstream;
        c.engine.upstream_url = Some(format!("http://{addr}"));
    });
    let app = app!(state);
    let ready = || {
        let app = &app;
        async move { call!(app, get, "/ready", None, None::<&str>) }
    };

    // Concurrent callers arrive while the first probe is connecting.
    let mut answers = futures_util::future::join_all((0..20).map(|_| ready())).await;
    for _ in 0..20 {
        answers.push(ready().await);
    }
    for (s, r) in &answers {
        assert_eq!((*s, r["status"].as_str()), (200, Some("ready")), "{r}");
    }
    // Connections complete in the kernel before the accept loop counts them.
    actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    let probes = accepted.load(Ordering::SeqCst);
    assert!(
        (1..=2).contains(&probes),
        "{probes} connections for 40 checks"
    );

    engine.abort();
    assert!(engine.await.is_err(), "the listener is dropped");
    actix_web::rt::time::sleep(PROBE_CACHE_TTL).await;
    let (s, r) = ready().await;
    assert_eq!(
        (s, r["error"]["code"].as_str()),
        (503, Some("not_ready")),
        "{r}"
    );
    assert!(r["error"]["message"]
        .as_str()
        .is_some_and(|m| m.contains(&addr.to_string())));
}
