//! A stand-in for the Creto AuthZ Engine's REST server, on a real socket, answering exactly
//! as the real engine does (docs/authz-upgrade-path.md, "The engine contract"):
//! - `POST /v1/authorization/check`: a missing principal.id, resource.kind, resource.id or
//!   action is `400 {"error": "<field> is required", "message": …}`; a matching allow rule is
//!   `allowed: true, effect: "allow"`; a matching deny rule `allowed: false, effect: "deny"`;
//!   no matching rule is the default deny `allowed: false, effect: ""` with empty policy and
//!   rule; every answer carries the engine's metadata, nested resolutions included.
//! - `GET /health`: `{"status": "healthy", "timestamp", "checks": {cache, engine, policy_store}}`.
//!
//! Its one policy is the engine's example (`resourceKind: document`): `allow-read` (read, for
//! viewer and editor) and `deny-purge` (purge, for viewer and editor). Principals with these ids
//! make it misbehave the ways a real deployment can: `slow` (answers after 800 ms), `broken`
//! (500), `garbage` (200, not JSON), `liar` (allowed with effect deny), `vague` (no
//! `allowed`), `stringly` (`allowed: "true"`), `unauthorized` (401), `forbidden` (403),
//! `missing` (404), `throttled` (429, `Retry-After: 3`), `unprocessable` (422).

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the stand-in says about itself, and what it saw.
#[derive(Default)]
pub struct EngineState {
    /// The `checks` object of `/health` (all "ok" unless a test changes it).
    pub checks: Mutex<Option<Value>>,
    /// `GET /health` requests served.
    pub health_calls: AtomicUsize,
    /// Checks served.
    pub checks_served: AtomicUsize,
    /// The Authorization header of the last check.
    pub last_authorization: Mutex<Option<String>>,
}

/// A running stand-in; stops when dropped.
pub struct CretoEngine {
    /// Its address.
    pub addr: SocketAddr,
    /// Its state.
    pub state: Arc<EngineState>,
    handle: actix_web::dev::ServerHandle,
    scheme: &'static str,
}

impl CretoEngine {
    /// Starts one on a free loopback port (inside an actix runtime).
    pub fn start() -> Self {
        Self::start_with(None)
    }

    /// Starts one serving HTTPS with `tls` (inside an actix runtime).
    pub fn start_with(tls: Option<cretoai_tls::ServerTls>) -> Self {
        let state = Arc::new(EngineState::default());
        let shared = web::Data::from(state.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(shared.clone())
                .route("/v1/authorization/check", web::post().to(check))
                .route("/health", web::get().to(health))
        })
        .workers(1);
        let server = match tls {
            Some(tls) => server.bind_rustls_0_23("127.0.0.1:0", tls.config),
            None => server.bind("127.0.0.1:0"),
        }
        .unwrap();
        let scheme = if server.addrs_with_scheme()[0].1 == "https" {
            "https"
        } else {
            "http"
        };
        let addr = server.addrs()[0];
        let server = server.run();
        let handle = server.handle();
        actix_web::rt::spawn(server);
        CretoEngine {
            addr,
            state,
            handle,
            scheme,
        }
    }

    /// Its base URL.
    pub fn url(&self) -> String {
        format!("{}://{}", self.scheme, self.addr)
    }

    /// Stops it (its port then refuses connections).
    pub async fn stop(&self) {
        self.handle.stop(false).await;
    }
}

async fn health(state: web::Data<EngineState>) -> HttpResponse {
    state.health_calls.fetch_add(1, Ordering::SeqCst);
    let checks = state
        .checks
        .lock()
        .unwrap()
        .clone()
        .unwrap_or_else(|| json!({"cache": "ok", "engine": "ok", "policy_store": "ok"}));
    HttpResponse::Ok().json(json!({
        "status": "healthy", "timestamp": "2026-12-07T15:00:00Z", "checks": checks
    }))
}

async fn check(
    req: HttpRequest,
    state: web::Data<EngineState>,
    body: web::Json<Value>,
) -> HttpResponse {
    let n = state.checks_served.fetch_add(1, Ordering::SeqCst);
    *state.last_authorization.lock().unwrap() = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    for (field, value) in [
        ("principal.id", &body["principal"]["id"]),
        ("resource.kind", &body["resource"]["kind"]),
        ("resource.id", &body["resource"]["id"]),
        ("action", &body["action"]),
    ] {
        if value.as_str().is_none_or(str::is_empty) {
            let message = format!("{field} is required");
            return HttpResponse::BadRequest().json(json!({"error": message, "message": message}));
        }
    }
    let principal = body["principal"]["id"].as_str().unwrap_or_default();
    if let Some(answer) = misbehaviour(principal).await {
        return answer;
    }
    let (effect, rule) = evaluate(&body);
    HttpResponse::Ok().json(json!({
        "allowed": effect == "allow",
        "effect": effect,
        "policy": if rule.is_empty() { "" } else { "example-policy" },
        "rule": rule,
        "metadata": metadata(&body, n, !rule.is_empty()),
    }))
}

/// The example policy: deny rules first, then allow rules; no match is `("", "")`.
fn evaluate(body: &Value) -> (&'static str, &'static str) {
    const RULES: [(&str, &str, &str); 2] = [
        ("deny-purge", "purge", "deny"),
        ("allow-read", "read", "allow"),
    ];
    let roles: Vec<&str> = body["principal"]["roles"]
        .as_array()
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let eligible = roles.iter().any(|r| ["viewer", "editor"].contains(r));
    if body["resource"]["kind"] != "document" || !eligible {
        return ("", "");
    }
    RULES
        .iter()
        .find(|(_, action, _)| body["action"] == *action)
        .map_or(("", ""), |(name, _, effect)| (*effect, *name))
}

fn metadata(body: &Value, n: usize, matched: bool) -> Value {
    let scope = body["resource"]["scope"].as_str().unwrap_or("");
    let resolution = json!({
        "matchedScope": scope, "inheritanceChain": if scope.is_empty() { json!([]) } else { json!([scope]) },
        "scopedPolicyMatched": false
    });
    json!({
        "evaluation_duration_ms": 0.042, "policies_evaluated": 1, "cache_hit": false,
        "timestamp": "2026-12-07T15:00:00Z", "request_id": format!("req-{n}"),
        "scope_resolution": resolution,
        "policy_resolution": {
            "principalPoliciesMatched": false, "resourcePoliciesMatched": matched,
            "evaluationOrder": ["principal", "resource"], "scopeResolution": resolution
        }
    })
}

async fn misbehaviour(principal: &str) -> Option<HttpResponse> {
    let allow = || json!({"allowed": true, "effect": "allow", "policy": "p", "rule": "r"});
    Some(match principal {
        "slow" => {
            actix_web::rt::time::sleep(Duration::from_millis(800)).await;
            HttpResponse::Ok().json(allow())
        }
        "broken" => HttpResponse::InternalServerError().body("engine down"),
        "garbage" => HttpResponse::Ok().body("not json"),
        "liar" => HttpResponse::Ok().json(json!({"allowed": true, "effect": "deny"})),
        "vague" => HttpResponse::Ok().json(json!({"effect": "allow"})),
        "stringly" => HttpResponse::Ok().json(json!({"allowed": "true", "effect": "allow"})),
        "unauthorized" => HttpResponse::Unauthorized().json(json!({"error": "unauthorized"})),
        "forbidden" => HttpResponse::Forbidden().json(json!({"error": "forbidden"})),
        "missing" => HttpResponse::NotFound().finish(),
        "throttled" => HttpResponse::TooManyRequests()
            .insert_header(("retry-after", "3"))
            .json(json!({"error": "rate limited"})),
        "unprocessable" => HttpResponse::UnprocessableEntity()
            .json(json!({"error": "bad context", "message": "context.ip must be an address"})),
        _ => return None,
    })
}
