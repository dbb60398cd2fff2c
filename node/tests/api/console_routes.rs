//! What the console relies on: a token learns its own scopes, a `viewer` token reads and
//! changes nothing, the cluster view answers for a single node, the AuthZ relay says plainly
//! when no sidecar is configured, and every answer carries the node's handling time.

use crate::harness::{assert_error, b64, start};
use actix_web::test::TestRequest;
use serde_json::json;

#[actix_rt::test]
async fn a_token_learns_its_own_scopes_and_what_they_allow() {
    let api = start().await;
    let (status, root) = api.get("/v1/auth/tokens/self").await;
    assert_eq!(status, 200, "{root}");
    assert_eq!(root["id"], "root");
    assert_eq!(root["scopes"], json!(["admin"]));
    assert_eq!(root["allowed"].as_array().unwrap().len(), 14, "{root}");

    let crypto = api.token(&["crypto:encrypt", "consensus:read"]).await;
    let (status, own) = api
        .send(
            TestRequest::get()
                .uri("/v1/auth/tokens/self")
                .insert_header(("authorization", format!("Bearer {crypto}"))),
        )
        .await;
    assert_eq!(status, 200, "{own}");
    assert_eq!(own["scopes"], json!(["crypto:encrypt", "consensus:read"]));
    assert_eq!(own["allowed"], json!(["consensus:read", "crypto:encrypt"]));

    let (status, _) = api
        .send(TestRequest::get().uri("/v1/auth/tokens/self"))
        .await;
    assert_eq!(status, 401);
}

#[actix_rt::test]
async fn a_viewer_reads_status_and_the_cluster_and_every_write_is_refused() {
    let api = start().await;
    let viewer = api.token(&["viewer"]).await;
    let get = |path: &str| {
        TestRequest::get()
            .uri(path)
            .insert_header(("authorization", format!("Bearer {viewer}")))
    };
    let (status, own) = api.send(get("/v1/auth/tokens/self")).await;
    assert_eq!(status, 200);
    assert_eq!(own["scopes"], json!(["viewer"]));
    assert_eq!(own["allowed"], json!(["consensus:read", "authz:read"]));
    for path in [
        "/v1/consensus/status",
        "/v1/cluster/status",
        "/v1/cluster/history",
    ] {
        let (status, body) = api.send(get(path)).await;
        assert_eq!(status, 200, "{path}: {body}");
    }
    let writes = [
        ("/v1/keys", json!({"name": "k", "type": "ml-kem-768"})),
        (
            "/v1/consensus/transactions",
            json!({"key": "k", "payload": b64("x")}),
        ),
        ("/v1/encrypt", json!({"key": "k", "plaintext": b64("x")})),
        ("/v1/sign", json!({"key": "k", "message": b64("x")})),
        ("/v1/auth/tokens", json!({"scopes": ["admin"]})),
        (
            "/v1/authz/check",
            json!({"principal": {}, "resource": {}, "action": "a"}),
        ),
    ];
    for (path, body) in writes {
        let answer = api.post_as(&viewer, path, body).await;
        assert_error(&answer, 403, "forbidden");
    }
    let answer = api
        .send(
            TestRequest::put()
                .uri("/v1/authz/mode")
                .insert_header(("authorization", format!("Bearer {viewer}")))
                .set_json(json!({"mode": "pqc"})),
        )
        .await;
    assert_error(&answer, 403, "forbidden");
    let answer = api
        .send(
            TestRequest::put()
                .uri("/v1/vault/secrets/a/b")
                .insert_header(("authorization", format!("Bearer {viewer}")))
                .set_json(json!({"data": {"k": "v"}})),
        )
        .await;
    assert_error(&answer, 403, "forbidden");
    // `viewer` takes no action or pattern.
    let (status, body) = api
        .post("/v1/auth/tokens", json!({"scopes": ["viewer:read"]}))
        .await;
    assert_eq!(status, 400, "{body}");
}

#[actix_rt::test]
async fn a_single_node_lists_itself_and_the_relay_needs_a_sidecar() {
    let api = start().await;
    let (status, cluster) = api.get("/v1/cluster/status").await;
    assert_eq!(status, 200, "{cluster}");
    let nodes = cluster["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 1, "{cluster}");
    assert_eq!(nodes[0]["node_id"], cluster["reported_by"]);
    assert_eq!(nodes[0]["this_node"], true);
    assert_eq!(nodes[0]["up"], true);
    let (_, status_body) = api.get("/v1/consensus/status").await;
    assert_eq!(cluster["reported_by"], status_body["node_id"]);

    for path in ["/v1/authz/mode", "/v1/authz/compare", "/v1/authz/anchor"] {
        let answer = api.get(path).await;
        assert_error(&answer, 503, "sidecar_not_configured");
    }
    let answer = api
        .post("/v1/authz/check", json!({"principal": {}, "resource": {}}))
        .await;
    assert_error(&answer, 400, "invalid_json");
}

#[actix_rt::test]
async fn every_answer_carries_the_nodes_handling_time() {
    let api = start().await;
    let res = actix_web::test::call_service(
        &api.app,
        TestRequest::get()
            .uri("/v1/auth/tokens/self")
            .insert_header(("authorization", format!("Bearer {}", api.root)))
            .to_request(),
    )
    .await;
    let timing = res
        .headers()
        .get("server-timing")
        .unwrap()
        .to_str()
        .unwrap();
    let ms: f64 = timing.strip_prefix("app;dur=").unwrap().parse().unwrap();
    assert!(ms >= 0.0, "{timing}");
}
