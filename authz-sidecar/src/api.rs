//! HTTP routes.
//!
//! | route | auth | what |
//! |---|---|---|
//! | `POST /v1/authorization/check` | `authz:check` bearer off loopback (passed upstream) | decide and sign |
//! | `POST /v1/tokens/verify` | none | verify under the current mode |
//! | `GET /.well-known/jwks.json` | none | every key that can verify |
//! | `GET /v1/compare` | none | live per-algorithm statistics |
//! | `GET /v1/mode` | none | current mode, signing alg, accepted algs |
//! | `GET /v1/anchor` | none | anchoring node, sender key, counters, latency |
//! | `PUT /v1/admin/mode` | bearer | switch mode (persisted before the answer) |
//! | `POST /v1/admin/keys/rotate` | bearer | rotate one or all keys |
//! | `GET /v1/sys/connection` | none | the caller's own connection: TLS version, cipher suite, key-exchange group (`X25519MLKEM768` is post-quantum), client certificate |
//! | `GET /healthz` | none | liveness: the process serves HTTP |
//! | `GET /ready` | none | readiness: signing key loaded, engine reachable; 503 `not_ready` if not |

use crate::algorithm::Algorithm;
use crate::engine::CheckRequest;
use crate::error::SidecarError;
use crate::measurements;
use crate::mode::Mode;
use crate::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;

type Answer = Result<HttpResponse, SidecarError>;

/// Register every route, the body limits and the JSON error handlers.
pub fn configure(state: web::Data<AppState>) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        let limit = state.config.max_body_bytes;
        cfg.app_data(state)
            .app_data(
                web::JsonConfig::default()
                    .limit(limit)
                    .error_handler(|e, _| SidecarError::InvalidRequest(e.to_string()).into()),
            )
            .app_data(web::PayloadConfig::default().limit(limit))
            .route("/v1/authorization/check", web::post().to(check))
            .route("/v1/tokens/verify", web::post().to(verify_token))
            .route("/.well-known/jwks.json", web::get().to(jwks))
            .route("/v1/compare", web::get().to(compare))
            .route("/v1/mode", web::get().to(mode))
            .route("/v1/anchor", web::get().to(anchor))
            .route("/v1/admin/mode", web::put().to(set_mode))
            .route("/v1/admin/keys/rotate", web::post().to(rotate))
            .route("/v1/sys/connection", web::get().to(connection))
            .route(
                "/healthz",
                web::get().to(|| async { HttpResponse::Ok().json(json!({"status": "ok"})) }),
            )
            .route("/ready", web::get().to(ready))
            .default_service(web::to(|| async {
                Err::<HttpResponse, _>(SidecarError::NotFound)
            }));
    }
}

fn require_admin(req: &HttpRequest, state: &AppState) -> Result<(), SidecarError> {
    let presented = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or(SidecarError::Unauthorized)?;
    if state.is_admin(presented) {
        Ok(())
    } else {
        Err(SidecarError::Unauthorized)
    }
}

async fn check(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<CheckRequest>,
) -> Answer {
    let body = body.into_inner();
    let authorization = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok());
    if !state.may_check(authorization.and_then(|v| v.strip_prefix("Bearer "))) {
        return Err(SidecarError::Unauthorized);
    }
    let started = std::time::Instant::now();
    let decision = state.engine.decide(&body, authorization).await?;
    let engine_us = started.elapsed().as_micros() as u64;
    let claims = state.claims_for(&body, &decision);
    let issued = state.issue(&claims)?;
    // The sidecar's own additions stay apart from the engine's metadata, which the
    // caller gets exactly as the engine sent it (its digest is in the signed claims).
    let mut sidecar = json!({"engine_us": engine_us, "sign_us": issued.sign_us});
    if let Some(receipt) = state.anchor_decision(&issued, &claims).await {
        receipt.annotate(&mut sidecar);
    }
    let mut answer = json!({
        "allowed": decision.allowed,
        "effect": decision.effect,
        "policy": decision.policy,
        "rule": decision.rule,
        "metadata": decision.metadata,
        "sidecar": sidecar,
        "decision_token": issued.token,
        "signature": {"alg": issued.alg, "kid": issued.kid, "mode": state.mode(), "sign_us": issued.sign_us},
    });
    if body.compare {
        let costs = measurements::compare_all(&state.ring(), &claims.to_value(), &state.stats)?;
        answer["compare"] = json!(costs);
    }
    Ok(HttpResponse::Ok().json(answer))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VerifyBody {
    token: String,
}

async fn verify_token(state: web::Data<AppState>, body: web::Json<VerifyBody>) -> Answer {
    let verified = state.verify(&body.token)?;
    Ok(HttpResponse::Ok().json(json!({
        "valid": true,
        "mode": state.mode(),
        "alg": verified.alg,
        "kid": verified.kid,
        "claims": verified.claims,
    })))
}

async fn jwks(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("cache-control", "public, max-age=60"))
        .json(state.ring().jwks())
}

async fn compare(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "window": state.config.stats_window,
        "mode": state.mode(),
        "algorithms": state.stats.snapshot(),
    }))
}

async fn anchor(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(match &state.anchor {
        Some(a) => a.status(),
        None => json!({"enabled": false}),
    })
}

/// The caller's own connection, read by the hook `cretoai_tls::caller::on_connect` installed
/// at start; the same answer as the node's `GET /v1/sys/connection`. Open like the other
/// read routes: it tells the caller only what its own handshake negotiated.
async fn connection(req: HttpRequest) -> HttpResponse {
    HttpResponse::Ok().json(cretoai_tls::caller::Connection::of(&req))
}

fn mode_answer(state: &AppState) -> HttpResponse {
    let mode = state.mode();
    HttpResponse::Ok().json(json!({
        "mode": mode,
        "signing_alg": state.signing_alg(),
        "accepts": mode.accepted(),
    }))
}

async fn mode(state: web::Data<AppState>) -> HttpResponse {
    mode_answer(&state)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ModeBody {
    mode: Mode,
}

async fn set_mode(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<ModeBody>,
) -> Answer {
    require_admin(&req, &state)?;
    let worker = state.clone();
    let mode = body.mode;
    // Recording the mode fsyncs twice: keep that off the I/O threads.
    web::block(move || worker.set_mode(mode))
        .await
        .map_err(|e| SidecarError::ModeStore(format!("mode switch task failed: {e}")))??;
    Ok(mode_answer(&state))
}

/// 200 once a check would be signed: the current mode's signing key is in the
/// ring and the engine can be reached. Otherwise 503 `not_ready`, so an
/// orchestrator keeps traffic away without restarting the process (that is
/// what `/healthz` is for).
async fn ready(state: web::Data<AppState>) -> Answer {
    let alg = state.signing_alg();
    if state.ring().active(alg).is_none() {
        return Err(SidecarError::NotReady(format!(
            "no active {alg} signing key"
        )));
    }
    let health = state.engine.ready().await?;
    Ok(HttpResponse::Ok().json(json!({
        "status": "ready",
        "mode": state.mode(),
        "signing_alg": alg,
        "engine": state.engine.name(),
        "engine_health": health,
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RotateBody {
    alg: Option<Algorithm>,
}

/// An empty body rotates every algorithm; `{"alg": "..."}` rotates one.
async fn rotate(req: HttpRequest, state: web::Data<AppState>, body: web::Bytes) -> Answer {
    require_admin(&req, &state)?;
    let alg = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        serde_json::from_slice::<RotateBody>(&body)
            .map_err(|e| SidecarError::InvalidRequest(e.to_string()))?
            .alg
    };
    let worker = state.clone();
    // RSA key generation takes tens of milliseconds: keep it off the I/O threads.
    let rotated = web::block(move || worker.rotate(alg))
        .await
        .map_err(|e| SidecarError::Crypto(format!("rotation task failed: {e}")))??;
    let rotated: Vec<_> = rotated
        .into_iter()
        .map(|(alg, kid)| json!({"alg": alg, "kid": kid}))
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "rotated": rotated })))
}
