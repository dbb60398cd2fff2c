//! `/health`, `/ready`, `/metrics`, `/openapi.json` (and its committed copy), Swagger UI.

use crate::harness::{b64, start};
use actix_web::test::TestRequest;
use serde_json::json;

#[actix_web::test]
async fn health_and_ready_need_no_token() {
    let api = start().await;
    let (status, body) = api.send(TestRequest::get().uri("/health")).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("ok")));
    let (status, body) = api.send(TestRequest::get().uri("/ready")).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("ready")));
}

#[actix_web::test]
async fn metrics_count_requests_per_route_and_crypto_operations() {
    let api = start().await;
    api.create_key("s", "ml-dsa-65").await;
    for _ in 0..3 {
        api.post("/v1/sign", json!({"key": "s", "message": b64("m")}))
            .await;
    }
    api.post("/v1/sign", json!({"key": "missing", "message": b64("m")}))
        .await;
    let (status, text) = api.send(TestRequest::get().uri("/metrics")).await;
    assert_eq!(status, 200);
    let text = text.as_str().unwrap();
    for line in [
        "cretoai_http_requests_total{method=\"POST\",route=\"/v1/sign\",status=\"200\"} 3",
        "cretoai_http_requests_total{method=\"POST\",route=\"/v1/sign\",status=\"404\"} 1",
        "cretoai_http_requests_total{method=\"POST\",route=\"/v1/keys\",status=\"201\"} 1",
        "cretoai_http_request_duration_seconds_count{method=\"POST\",route=\"/v1/sign\"} 4",
        "cretoai_crypto_operations_total{op=\"sign\",algorithm=\"ml-dsa-65\",outcome=\"ok\"} 3",
        "cretoai_crypto_operations_total{op=\"keygen\",algorithm=\"ml-dsa-65\",outcome=\"ok\"} 1",
    ] {
        assert!(text.contains(line), "missing `{line}` in\n{text}");
    }
}

#[actix_web::test]
async fn openapi_is_served_and_matches_the_committed_file() {
    let api = start().await;
    let (status, served) = api.send(TestRequest::get().uri("/openapi.json")).await;
    assert_eq!(status, 200);
    assert_eq!(served["openapi"].as_str().map(|v| &v[..2]), Some("3."));
    for path in [
        "/v1/keys",
        "/v1/sign",
        "/v1/verify/batch",
        "/v1/auth/tokens/{id}",
        "/metrics",
    ] {
        assert!(
            served["paths"][path].is_object(),
            "{path} missing from the spec"
        );
    }

    let generated = cretoai_node::api::openapi::spec_json();
    let committed_path = concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi/openapi.json");
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(committed_path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(committed_path).unwrap_or_default();
    assert!(
        committed == generated,
        "openapi/openapi.json differs from the code; run `UPDATE_OPENAPI=1 cargo test -p cretoai-node --test api openapi` and commit it"
    );
    let served_text: serde_json::Value = serde_json::from_str(&generated).unwrap();
    assert_eq!(served_text, served, "served spec equals the committed one");
}

#[actix_web::test]
async fn swagger_ui_is_served_from_vendored_files() {
    let api = start().await;
    let (status, _) = api.send(TestRequest::get().uri("/docs")).await;
    assert_eq!(status, 308);
    let (status, page) = api.send(TestRequest::get().uri("/docs/")).await;
    assert_eq!(status, 200);
    assert!(page.as_str().unwrap().contains("swagger-ui"), "{page}");
}
