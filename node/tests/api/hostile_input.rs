//! No input makes the node answer 5xx or panic: oversize bodies, broken JSON, wrong types,
//! unknown routes and methods, and random bodies on every route.

use crate::harness::{assert_error, start, start_with, ROOT};
use actix_web::test::TestRequest;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use serde_json::json;

const POST_ROUTES: [&str; 12] = [
    "/v1/keys",
    "/v1/keys/k/rotate",
    "/v1/keys/k/config",
    "/v1/encrypt",
    "/v1/encrypt/batch",
    "/v1/decrypt",
    "/v1/decrypt/batch",
    "/v1/sign",
    "/v1/sign/batch",
    "/v1/verify",
    "/v1/verify/batch",
    "/v1/auth/tokens",
];

fn raw_post(path: &str, body: impl Into<Vec<u8>>) -> TestRequest {
    TestRequest::post()
        .uri(path)
        .insert_header(("authorization", format!("Bearer {ROOT}")))
        .insert_header(("content-type", "application/json"))
        .set_payload(body.into())
}

#[actix_web::test]
async fn oversize_bodies_get_413_with_the_json_shape() {
    let api = start_with(|c| c.max_body_bytes = 4096).await;
    api.create_key("k", "ml-dsa-44").await;
    let big = json!({"key": "k", "message": "A".repeat(8192)}).to_string();
    assert_error(
        &api.send(raw_post("/v1/sign", big.clone())).await,
        413,
        "payload_too_large",
    );
    // Without a Content-Length header (chunked), the limit still holds.
    let req = TestRequest::post()
        .uri("/v1/sign")
        .insert_header(("authorization", format!("Bearer {ROOT}")))
        .set_payload(big);
    let mut req = req.to_request();
    req.headers_mut().remove("content-length");
    let res = actix_web::test::call_service(&api.app, req).await;
    assert_eq!(res.status().as_u16(), 413);
    let small = json!({"key": "k", "message": "A".repeat(1000)});
    assert_eq!(api.post("/v1/sign", small).await.0, 200);
}

#[actix_web::test]
async fn the_default_body_limit_is_one_mebibyte() {
    let api = start().await;
    api.create_key("box", "ml-kem-768").await;
    let fits = json!({"key": "box", "plaintext": "A".repeat(1_000_000)}).to_string();
    assert_eq!(api.send(raw_post("/v1/encrypt", fits)).await.0, 200);
    let too_big = json!({"key": "box", "plaintext": "A".repeat(1_048_577)}).to_string();
    assert_error(
        &api.send(raw_post("/v1/encrypt", too_big)).await,
        413,
        "payload_too_large",
    );
}

#[actix_web::test]
async fn malformed_json_and_unknown_routes_get_json_errors() {
    let api = start().await;
    for body in [
        "",
        "{",
        "[1,2",
        "null",
        "\"str\"",
        "{\"key\": 5}",
        "{\"key\":\"k\",\"message\":[]}",
    ] {
        assert_error(
            &api.send(raw_post("/v1/sign", body)).await,
            400,
            "invalid_json",
        );
    }
    let nested = "[".repeat(10_000) + &"]".repeat(10_000);
    assert_error(
        &api.send(raw_post("/v1/sign/batch", nested)).await,
        400,
        "invalid_json",
    );
    assert_error(
        &api.send(raw_post("/v1/nothing-here", "{}")).await,
        404,
        "not_found",
    );
    assert_error(
        &api.send(TestRequest::get().uri("/nope")).await,
        404,
        "not_found",
    );
    let put = TestRequest::put()
        .uri("/v1/sign")
        .insert_header(("authorization", format!("Bearer {ROOT}")));
    // Routes are matched on method and path together, so an unsupported method is not found.
    assert_error(&api.send(put).await, 404, "not_found");
    let too_long_name = format!("/v1/keys/{}", "n".repeat(300));
    assert_error(&api.get(&too_long_name).await, 404, "key_not_found");
}

/// Random JSON: nested objects / arrays of strings, numbers, booleans and nulls, with field
/// names the API uses so that some bodies get past the first checks.
fn any_json() -> impl Strategy<Value = serde_json::Value> {
    let names = prop::sample::select(vec![
        "key",
        "name",
        "type",
        "plaintext",
        "ciphertext",
        "aad",
        "message",
        "signature",
        "context",
        "public_key",
        "algorithm",
        "key_version",
        "scopes",
        "ttl_seconds",
        "min_decryption_version",
        "deletion_allowed",
    ]);
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(|f| json!(f)),
        "[ -~]{0,40}".prop_map(serde_json::Value::from),
        prop::sample::select(vec![
            "k",
            "ml-kem-768",
            "ml-dsa-65",
            "AAAA",
            "cretoai:v1:AAAA",
            "cretoai:v0:",
            "crypto"
        ])
        .prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(3, 24, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::from),
            prop::collection::btree_map(names.clone(), inner, 0..6).prop_map(|m| {
                serde_json::Value::Object(m.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
            }),
        ]
    })
}

#[actix_web::test]
async fn random_bodies_never_cause_a_server_error() {
    let api = start().await;
    api.create_key("k", "ml-kem-768").await;
    let cases: usize = std::env::var("CRETOAI_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64);
    let mut runner = TestRunner::deterministic();
    let strategy = any_json();
    for _ in 0..cases {
        let body = strategy.new_tree(&mut runner).unwrap().current();
        for path in POST_ROUTES {
            let (status, response) = api.send(raw_post(path, body.to_string())).await;
            assert!(status < 500, "{path} {body} -> {status} {response}");
            if status >= 400 {
                assert!(
                    response["error"]["code"].is_string(),
                    "{path} {body} -> {response}"
                );
            }
        }
    }
    // Random bytes that are not JSON at all.
    let bytes = prop::collection::vec(any::<u8>(), 0..256);
    for _ in 0..cases {
        let body = bytes.new_tree(&mut runner).unwrap().current();
        for path in POST_ROUTES {
            let (status, _) = api.send(raw_post(path, body.clone())).await;
            assert!(status < 500, "{path} {body:?} -> {status}");
        }
    }
}
