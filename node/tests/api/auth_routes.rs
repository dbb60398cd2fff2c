//! Bearer tokens: 401 without or with a bad token on every `/v1` route, 403 out of scope,
//! token creation, revocation and expiry.

use crate::harness::{assert_error, b64, start};
use actix_web::test::TestRequest;
use serde_json::json;

const V1_ROUTES: [(&str, &str); 16] = [
    ("POST", "/v1/keys"),
    ("GET", "/v1/keys"),
    ("GET", "/v1/keys/k"),
    ("DELETE", "/v1/keys/k"),
    ("POST", "/v1/keys/k/rotate"),
    ("POST", "/v1/keys/k/config"),
    ("POST", "/v1/encrypt"),
    ("POST", "/v1/encrypt/batch"),
    ("POST", "/v1/decrypt"),
    ("POST", "/v1/decrypt/batch"),
    ("POST", "/v1/sign"),
    ("POST", "/v1/sign/batch"),
    ("POST", "/v1/verify"),
    ("POST", "/v1/verify/batch"),
    ("POST", "/v1/auth/tokens"),
    ("DELETE", "/v1/auth/tokens/abc"),
];

fn request(method: &str, path: &str) -> TestRequest {
    let req = match method {
        "GET" => TestRequest::get(),
        "DELETE" => TestRequest::delete(),
        _ => TestRequest::post().set_json(json!({})),
    };
    req.uri(path)
}

#[actix_web::test]
async fn every_v1_route_needs_a_valid_bearer_token() {
    let api = start().await;
    for (method, path) in V1_ROUTES {
        assert_error(&api.send(request(method, path)).await, 401, "unauthorized");
        for header in [
            "Bearer wrong-token-value".to_string(),
            format!("Basic {}", api.root),
            format!("Bearer {}x", api.root),
            "Bearer ".to_string(),
        ] {
            let req = request(method, path).insert_header(("authorization", header.clone()));
            assert_error(&api.send(req).await, 401, "unauthorized");
        }
    }
}

#[actix_web::test]
async fn scopes_limit_what_a_token_may_do() {
    let api = start().await;
    api.create_key("pay-eu", "ml-dsa-44").await;
    api.create_key("hr", "ml-dsa-44").await;
    let crypto = api.token(&["crypto"]).await;
    let keys_admin = api.token(&["keys:admin"]).await;
    let pay_signer = api.token(&["crypto:sign:pay-*"]).await;

    let sign = |key: &str| json!({"key": key, "message": b64("m")});
    assert_eq!(api.post_as(&crypto, "/v1/sign", sign("hr")).await.0, 200);
    assert_error(
        &api.post_as(
            &crypto,
            "/v1/keys",
            json!({"name": "x", "type": "ml-dsa-44"}),
        )
        .await,
        403,
        "forbidden",
    );
    assert_error(
        &api.post_as(&crypto, "/v1/auth/tokens", json!({"scopes": ["admin"]}))
            .await,
        403,
        "forbidden",
    );
    assert_eq!(
        api.post_as(
            &keys_admin,
            "/v1/keys",
            json!({"name": "x", "type": "ml-dsa-44"})
        )
        .await
        .0,
        201
    );
    assert_error(
        &api.post_as(&keys_admin, "/v1/sign", sign("hr")).await,
        403,
        "forbidden",
    );
    assert_eq!(
        api.post_as(&pay_signer, "/v1/sign", sign("pay-eu")).await.0,
        200
    );
    assert_error(
        &api.post_as(&pay_signer, "/v1/sign", sign("hr")).await,
        403,
        "forbidden",
    );
    let verify = json!({"key": "pay-eu", "message": "", "signature": ""});
    assert_error(
        &api.post_as(&pay_signer, "/v1/verify", verify).await,
        403,
        "forbidden",
    );

    // In a batch, an out-of-scope item fails alone.
    let (status, out) = api
        .post_as(
            &pay_signer,
            "/v1/sign/batch",
            json!([sign("pay-eu"), sign("hr")]),
        )
        .await;
    assert_eq!(status, 200);
    assert!(out[0]["signature"].is_string());
    assert_eq!(out[1]["error"]["code"], "forbidden");
}

#[actix_web::test]
async fn tokens_are_created_revoked_and_expire() {
    let api = start().await;
    let (status, created) = api
        .post(
            "/v1/auth/tokens",
            json!({"scopes": ["crypto", "keys:read"], "ttl_seconds": 60}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let token = created["token"].as_str().unwrap().to_string();
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(created["scopes"], json!(["crypto", "keys:read"]));
    assert_eq!(created["expires_at"], 1_700_000_060u64);
    let list = |t: &str| {
        TestRequest::get()
            .uri("/v1/keys")
            .insert_header(("authorization", format!("Bearer {t}")))
    };
    assert_eq!(api.send(list(&token)).await.0, 200);
    api.clock.advance(61);
    assert_error(&api.send(list(&token)).await, 401, "unauthorized");

    let (_, second) = api
        .post("/v1/auth/tokens", json!({"scopes": ["keys:read"]}))
        .await;
    let second_token = second["token"].as_str().unwrap().to_string();
    assert_eq!(second["expires_at"], 1_700_000_061u64 + 86_400);
    assert_eq!(api.send(list(&second_token)).await.0, 200);
    let (status, _) = api
        .delete(&format!(
            "/v1/auth/tokens/{}",
            second["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(status, 204);
    assert_error(&api.send(list(&second_token)).await, 401, "unauthorized");

    assert_error(
        &api.delete(&format!("/v1/auth/tokens/{id}x")).await,
        404,
        "token_not_found",
    );
    assert_error(
        &api.delete("/v1/auth/tokens/root").await,
        400,
        "invalid_request",
    );
    for bad in [
        json!({"scopes": []}),
        json!({"scopes": ["superuser"]}),
        json!({"scopes": ["crypto"], "ttl_seconds": 0}),
        json!({"scopes": ["crypto"], "ttl_seconds": 999_999_999_999u64}),
    ] {
        assert_error(
            &api.post("/v1/auth/tokens", bad).await,
            400,
            "invalid_request",
        );
    }
}
