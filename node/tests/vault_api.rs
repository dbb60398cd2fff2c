//! `/v1/vault/*` and `/v1/audit*` in process (actix_web::test): semantics, every error case,
//! scopes, limits, pruning, rewrap, the audit trail, and concurrent writers on one path.

#[allow(dead_code)]
#[path = "api/harness.rs"]
mod harness;

use actix_http::Request;
use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::test::TestRequest;
use harness::{assert_error, start, start_with, Api};
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// Vault calls with an explicit token.
trait VaultCalls {
    async fn call(&self, token: &str, req: TestRequest) -> (u16, Value);
}

impl<S, B> VaultCalls for Api<S>
where
    S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    async fn call(&self, token: &str, req: TestRequest) -> (u16, Value) {
        self.send(req.insert_header(("authorization", format!("Bearer {token}"))))
            .await
    }
}

fn put(path: &str, body: Value) -> TestRequest {
    TestRequest::put()
        .uri(&format!("/v1/vault/secrets/{path}"))
        .set_json(body)
}

fn get(uri: &str) -> TestRequest {
    TestRequest::get().uri(uri)
}

fn post(uri: &str, body: Value) -> TestRequest {
    TestRequest::post().uri(uri).set_json(body)
}

fn delete(uri: &str) -> TestRequest {
    TestRequest::delete().uri(uri)
}

#[actix_rt::test]
async fn writes_version_and_check_and_set() {
    let api = start().await;
    let root = api.root.clone();
    let r = api
        .call(
            &root,
            put(
                "agents/billing/stripe",
                json!({"data": {"api_key": "sk_1"}}),
            ),
        )
        .await;
    assert_eq!(r.0, 200, "{}", r.1);
    assert_eq!(r.1["version"], 1);
    assert_eq!(r.1["created_at"], 1_700_000_000);
    let again = json!({"data": {"api_key": "nope"}, "cas": 0});
    assert_error(
        &api.call(&root, put("agents/billing/stripe", again)).await,
        409,
        "cas_mismatch",
    );
    let stale = json!({"data": {"api_key": "nope"}, "cas": 5});
    assert_error(
        &api.call(&root, put("agents/billing/stripe", stale)).await,
        409,
        "cas_mismatch",
    );
    let r = api
        .call(
            &root,
            put(
                "agents/billing/stripe",
                json!({"data": {"api_key": "sk_2"}, "cas": 1}),
            ),
        )
        .await;
    assert_eq!(r.1["version"], 2, "{}", r.1);

    let latest = api
        .call(&root, get("/v1/vault/secrets/agents/billing/stripe"))
        .await;
    assert_eq!(latest.0, 200);
    assert_eq!(
        latest.1,
        json!({"data": {"api_key": "sk_2"}, "version": 2, "created_at": 1_700_000_000})
    );
    let v1 = api
        .call(
            &root,
            get("/v1/vault/secrets/agents/billing/stripe?version=1"),
        )
        .await;
    assert_eq!(v1.1["data"]["api_key"], "sk_1");
    assert_error(
        &api.call(&root, get("/v1/vault/secrets/agents/nope")).await,
        404,
        "secret_not_found",
    );
    assert_error(
        &api.call(
            &root,
            get("/v1/vault/secrets/agents/billing/stripe?version=3"),
        )
        .await,
        404,
        "secret_version_not_found",
    );
    let first = json!({"data": {"k": "v"}, "cas": 0});
    assert_eq!(api.call(&root, put("fresh", first)).await.1["version"], 1);
}

#[actix_rt::test]
async fn soft_delete_undelete_destroy_and_metadata_delete() {
    let api = start().await;
    let root = api.root.clone();
    for v in ["one", "two"] {
        api.call(&root, put("app/db", json!({"data": {"password": v}})))
            .await;
    }
    assert_eq!(
        api.call(&root, delete("/v1/vault/secrets/app/db")).await.0,
        204
    );
    let gone = api.call(&root, get("/v1/vault/secrets/app/db")).await;
    assert_error(&gone, 404, "secret_version_deleted");
    assert!(gone.1["error"]["message"]
        .as_str()
        .unwrap()
        .contains("version 2"));
    let meta = api.call(&root, get("/v1/vault/metadata/app/db")).await;
    assert_eq!(meta.0, 200, "{}", meta.1);
    assert_eq!(meta.1["current_version"], 2);
    assert_eq!(meta.1["max_versions"], 10);
    assert_eq!(meta.1["versions"][1]["state"], "deleted");
    assert_eq!(meta.1["versions"][1]["deleted_at"], 1_700_000_000);
    assert_eq!(meta.1["versions"][0]["state"], "active");

    let r = api
        .call(
            &root,
            post(
                "/v1/vault/secrets/app/db/undelete",
                json!({"versions": [2]}),
            ),
        )
        .await;
    assert_eq!(r.0, 204, "{}", r.1);
    assert_eq!(
        api.call(&root, get("/v1/vault/secrets/app/db")).await.1["data"]["password"],
        "two"
    );

    let r = api
        .call(
            &root,
            post("/v1/vault/secrets/app/db/destroy", json!({"versions": [1]})),
        )
        .await;
    assert_eq!(r.0, 204, "{}", r.1);
    assert_error(
        &api.call(&root, get("/v1/vault/secrets/app/db?version=1"))
            .await,
        410,
        "secret_version_destroyed",
    );
    let meta = api.call(&root, get("/v1/vault/metadata/app/db")).await;
    assert_eq!(meta.1["versions"][0]["state"], "destroyed");
    assert_eq!(meta.1["versions"][0]["destroyed"], true);
    // Undelete cannot bring back a destroyed version.
    api.call(
        &root,
        post(
            "/v1/vault/secrets/app/db/undelete",
            json!({"versions": [1]}),
        ),
    )
    .await;
    assert_eq!(
        api.call(&root, get("/v1/vault/secrets/app/db?version=1"))
            .await
            .0,
        410
    );

    assert_eq!(
        api.call(&root, delete("/v1/vault/metadata/app/db")).await.0,
        204
    );
    assert_error(
        &api.call(&root, get("/v1/vault/metadata/app/db")).await,
        404,
        "secret_not_found",
    );
    assert_error(
        &api.call(&root, delete("/v1/vault/secrets/app/db")).await,
        404,
        "secret_not_found",
    );
    assert_error(
        &api.call(
            &root,
            post("/v1/vault/secrets/app/db/destroy", json!({"versions": [2]})),
        )
        .await,
        404,
        "secret_not_found",
    );
    let listed = api.call(&root, get("/v1/vault/secrets")).await;
    assert_eq!(listed.1["paths"], json!([]));
}

#[actix_rt::test]
async fn scopes_restrict_paths_and_listing_hides_the_rest() {
    let api = start().await;
    let root = api.root.clone();
    for path in ["agents/a", "agents/b/c", "hr/payroll", "agentsx"] {
        api.call(&root, put(path, json!({"data": {"k": path}})))
            .await;
    }
    let reader = api.token(&["vault:read:agents/*"]).await;
    let writer = api.token(&["vault:write:agents/*"]).await;
    let other = api.token(&["crypto"]).await;

    assert_eq!(
        api.call(&reader, get("/v1/vault/secrets/agents/b/c"))
            .await
            .0,
        200
    );
    assert_eq!(
        api.call(&reader, get("/v1/vault/metadata/agents/a"))
            .await
            .0,
        200
    );
    for uri in [
        "/v1/vault/secrets/hr/payroll",
        "/v1/vault/secrets/agentsx",
        "/v1/vault/metadata/hr/payroll",
    ] {
        assert_error(&api.call(&reader, get(uri)).await, 403, "forbidden");
    }
    assert_error(
        &api.call(&reader, put("agents/a", json!({"data": {}})))
            .await,
        403,
        "forbidden",
    );
    assert_error(
        &api.call(&reader, delete("/v1/vault/secrets/agents/a"))
            .await,
        403,
        "forbidden",
    );

    assert_eq!(
        api.call(&writer, put("agents/new", json!({"data": {"x": 1}})))
            .await
            .0,
        200
    );
    assert_error(
        &api.call(&writer, put("hr/payroll", json!({"data": {}})))
            .await,
        403,
        "forbidden",
    );
    assert_error(
        &api.call(&writer, get("/v1/vault/secrets/agents/a")).await,
        403,
        "forbidden",
    );
    assert_error(
        &api.call(
            &writer,
            post(
                "/v1/vault/secrets/hr/payroll/destroy",
                json!({"versions": [1]}),
            ),
        )
        .await,
        403,
        "forbidden",
    );
    assert_error(
        &api.call(&writer, delete("/v1/vault/metadata/hr/payroll"))
            .await,
        403,
        "forbidden",
    );
    assert_error(
        &api.call(&writer, post("/v1/vault/rewrap", json!({}))).await,
        403,
        "forbidden",
    );

    let listed = api.call(&reader, get("/v1/vault/secrets")).await;
    assert_eq!(
        listed.1["paths"],
        json!(["agents/a", "agents/b/c", "agents/new"])
    );
    let listed = api
        .call(&reader, get("/v1/vault/secrets?prefix=agents/b"))
        .await;
    assert_eq!(listed.1["paths"], json!(["agents/b/c"]));
    let listed = api
        .call(&root, get("/v1/vault/secrets?prefix=agents"))
        .await;
    assert_eq!(
        listed.1["paths"],
        json!(["agents/a", "agents/b/c", "agents/new", "agentsx"])
    );
    assert_eq!(
        api.call(&other, get("/v1/vault/secrets")).await.1["paths"],
        json!([])
    );
    assert_error(
        &api.call(&other, get("/v1/vault/secrets/agents/a")).await,
        403,
        "forbidden",
    );
    assert_error(
        &api.send(get("/v1/vault/secrets/agents/a")).await,
        401,
        "unauthorized",
    );
    assert_error(&api.call(&reader, get("/v1/audit")).await, 403, "forbidden");
    assert_error(
        &api.call(&reader, get("/v1/audit/verify")).await,
        403,
        "forbidden",
    );
}

#[actix_rt::test]
async fn paths_bodies_and_sizes_are_validated() {
    let api = start_with(|c| c.vault_max_value_bytes = 256).await;
    let root = api.root.clone();
    for bad in [
        "a//b",
        "..",
        "a/../b",
        "./a",
        "a%20b",
        "a:b",
        "a/",
        &"s".repeat(513),
    ] {
        let r = api.call(&root, put(bad, json!({"data": {"k": 1}}))).await;
        assert_error(&r, 400, "invalid_path");
        let r = api
            .call(&root, get(&format!("/v1/vault/secrets/{bad}")))
            .await;
        assert!(r.0 == 400 || r.0 == 404, "{bad}: {r:?}");
    }
    assert_error(
        &api.call(&root, get("/v1/vault/secrets?prefix=../")).await,
        400,
        "invalid_path",
    );
    let big = json!({"data": {"blob": "x".repeat(300)}});
    assert_error(
        &api.call(&root, put("a", big)).await,
        413,
        "value_too_large",
    );
    for body in [
        json!({"data": "text"}),
        json!({"data": [1]}),
        json!({}),
        json!({"data": {}, "cas": -1}),
        json!({"data": {}, "extra": 1}),
    ] {
        assert_error(&api.call(&root, put("a", body)).await, 400, "invalid_json");
    }
    api.call(&root, put("a", json!({"data": {}}))).await;
    assert_error(
        &api.call(
            &root,
            post("/v1/vault/secrets/a/destroy", json!({"versions": []})),
        )
        .await,
        400,
        "invalid_request",
    );
    assert_error(
        &api.call(&root, get("/v1/vault/secrets/a?version=x")).await,
        400,
        "invalid_request",
    );
    assert_error(
        &api.call(
            &root,
            post("/v1/vault/metadata/a", json!({"max_versions": 0})),
        )
        .await,
        400,
        "invalid_request",
    );
    assert_error(
        &api.call(&root, get("/v1/audit?limit=0")).await,
        400,
        "invalid_request",
    );
}

#[actix_rt::test]
async fn the_oldest_versions_are_pruned() {
    let api = start_with(|c| c.vault_max_versions = 2).await;
    let root = api.root.clone();
    for i in 1..=4 {
        api.call(&root, put("p", json!({"data": {"i": i}}))).await;
    }
    let meta = api.call(&root, get("/v1/vault/metadata/p")).await;
    let versions: Vec<_> = meta.1["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].clone())
        .collect();
    assert_eq!(versions, [json!(3), json!(4)]);
    assert_error(
        &api.call(&root, get("/v1/vault/secrets/p?version=2")).await,
        404,
        "secret_version_not_found",
    );
    let meta = api
        .call(
            &root,
            post("/v1/vault/metadata/p", json!({"max_versions": 1})),
        )
        .await;
    assert_eq!(meta.0, 200, "{}", meta.1);
    assert_eq!(meta.1["versions"].as_array().unwrap().len(), 1);
    assert_eq!(meta.1["max_versions"], 1);
    api.call(&root, put("p", json!({"data": {"i": 5}}))).await;
    let meta = api.call(&root, get("/v1/vault/metadata/p")).await;
    assert_eq!(meta.1["versions"][0]["version"], 5);
    assert_eq!(meta.1["current_version"], 5);
}

#[actix_rt::test]
async fn rotating_the_vault_key_then_rewrapping_keeps_every_secret_readable() {
    let api = start().await;
    let root = api.root.clone();
    for i in 0..3 {
        api.call(
            &root,
            put(
                &format!("s{i}"),
                json!({"data": {"v": format!("value-{i}")}}),
            ),
        )
        .await;
    }
    let rotated = api.post("/v1/keys/_vault/rotate", json!({})).await;
    assert_eq!(rotated.1["latest_version"], 2, "{}", rotated.1);
    let taken = api
        .post("/v1/keys", json!({"name": "_vault", "type": "ml-kem-768"}))
        .await;
    assert_error(&taken, 409, "key_exists");
    let r = api.call(&root, post("/v1/vault/rewrap", json!({}))).await;
    assert_eq!(
        r.1,
        json!({"rewrapped": 3, "unchanged": 0, "key_version": 2})
    );
    assert!(!r.1.to_string().contains("value-"));
    let r = api
        .post(
            "/v1/keys/_vault/config",
            json!({"min_decryption_version": 2}),
        )
        .await;
    assert_eq!(r.0, 200, "{}", r.1);
    for i in 0..3 {
        let r = api
            .call(&root, get(&format!("/v1/vault/secrets/s{i}")))
            .await;
        assert_eq!(r.1["data"]["v"], format!("value-{i}"));
    }
}

#[actix_rt::test]
async fn every_operation_is_audited_without_values() {
    let api = start().await;
    let root = api.root.clone();
    let reader = api.token(&["vault:read:agents/*"]).await;
    api.call(
        &root,
        put("agents/x", json!({"data": {"token": "TOP-SECRET-VALUE"}})),
    )
    .await;
    api.call(
        &root,
        put("agents/x", json!({"data": {"token": "x"}, "cas": 0})),
    )
    .await;
    api.call(&reader, get("/v1/vault/secrets/agents/x")).await;
    api.call(&reader, get("/v1/vault/secrets/hr/y")).await;
    api.post("/v1/keys", json!({"name": "k1", "type": "ml-dsa-44"}))
        .await;
    api.post("/v1/keys/k1/rotate", json!({})).await;

    let page = api.call(&root, get("/v1/audit")).await;
    assert_eq!(page.0, 200, "{}", page.1);
    assert!(!page.1.to_string().contains("TOP-SECRET"));
    let records = page.1["records"].as_array().unwrap();
    let seen: Vec<(String, String, String)> = records
        .iter()
        .map(|r| {
            let field = |k: &str| r[k].as_str().unwrap().to_string();
            (field("operation"), field("target"), field("outcome"))
        })
        .collect();
    let expect = |op: &str, target: &str, outcome: &str| {
        (op.to_string(), target.to_string(), outcome.to_string())
    };
    // Creating the reader's token is the first change, and is audited like any other.
    assert_eq!(seen[0].0, "token.create");
    assert_eq!(records[0]["token_id"], "root");
    assert_eq!(
        seen[1..],
        [
            expect("vault.write", "agents/x", "ok"),
            expect("vault.write", "agents/x", "cas_mismatch"),
            expect("vault.read", "agents/x", "ok"),
            expect("vault.read", "hr/y", "forbidden"),
            expect("key.create", "k1", "ok"),
            expect("key.rotate", "k1", "ok"),
        ]
    );
    assert_eq!(records[1]["token_id"], "root");
    assert_ne!(records[3]["token_id"], "root");
    assert_eq!(records[2]["prev_hash"], records[1]["hash"]);

    let page = api.call(&root, get("/v1/audit?after=2&limit=2")).await;
    let seqs: Vec<_> = page.1["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["seq"].clone())
        .collect();
    assert_eq!(seqs, [json!(3), json!(4)]);
    assert_eq!(page.1["next_after"], 4);
    let last = api.call(&root, get("/v1/audit?after=4&limit=10")).await;
    assert_eq!(last.1["next_after"], Value::Null);

    let verified = api.call(&root, get("/v1/audit/verify")).await;
    assert_eq!(verified.1["valid"], true, "{}", verified.1);
    assert_eq!(verified.1["records"], 7);
    assert_eq!(verified.1["head_hash"], records[6]["hash"]);
}

#[actix_rt::test]
async fn concurrent_writers_get_every_version_exactly_once() {
    let api = start_with(|c| c.vault_max_versions = 1000).await;
    let root = api.root.clone();
    let writers = (0..64).map(|i| api.call(&root, put("hot/path", json!({"data": {"writer": i}}))));
    let answers = futures_util::future::join_all(writers).await;
    let mut versions = BTreeSet::new();
    let mut by_version = std::collections::BTreeMap::new();
    for (i, (status, body)) in answers.into_iter().enumerate() {
        assert_eq!(status, 200, "{body}");
        let v = body["version"].as_u64().unwrap();
        assert!(versions.insert(v), "version {v} assigned twice");
        by_version.insert(v, i);
    }
    assert_eq!(versions, (1..=64).collect());
    // Every version holds the value of the writer it was acknowledged to.
    for (v, writer) in by_version {
        let r = api
            .call(
                &root,
                get(&format!("/v1/vault/secrets/hot/path?version={v}")),
            )
            .await;
        assert_eq!(r.1["data"]["writer"], writer);
    }
}

#[actix_rt::test]
async fn concurrent_cas_writers_have_exactly_one_winner_per_version() {
    let api = start().await;
    let root = api.root.clone();
    for round in 0..6u32 {
        let contenders = (0..16).map(|i| {
            api.call(
                &root,
                put(
                    "cas/path",
                    json!({"data": {"round": round, "writer": i}, "cas": round}),
                ),
            )
        });
        let answers = futures_util::future::join_all(contenders).await;
        let winners: Vec<_> = answers.iter().filter(|(s, _)| *s == 200).collect();
        assert_eq!(winners.len(), 1, "round {round}: {answers:?}");
        assert_eq!(winners[0].1["version"], round + 1);
        for (status, body) in &answers {
            if *status != 200 {
                assert_error(&(*status, body.clone()), 409, "cas_mismatch");
            }
        }
    }
    let meta = api.call(&root, get("/v1/vault/metadata/cas/path")).await;
    assert_eq!(meta.1["current_version"], 6);
}
