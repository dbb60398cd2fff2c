//! `/v1/consensus/*` in process (actix_web::test) on a single-node cluster: it finalizes on
//! its own, so submissions reach `accepted` without peers.

#[allow(dead_code)]
#[path = "api/harness.rs"]
mod harness;

use actix_http::Request;
use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use cretoai_consensus::tx_frames;
use cretoai_consensus::{Limits, Transaction};
use cretoai_crypto::ml_dsa::{MlDsaLevel, SigningKey};
use cretoai_node::api::tx_frames::MEDIA_TYPE;
use harness::{assert_error, b64, start, start_with, Api};
use serde_json::{json, Value};
use std::time::Duration;

fn signed(key: &SigningKey, nonce: u64, payload: &[u8]) -> Transaction {
    Transaction::sign(key, nonce, payload.to_vec(), &Limits::default()).unwrap()
}

/// Polls the status of `id` until it is decided (10 s at most).
async fn decided<S, B>(api: &Api<S>, id: &str) -> Value
where
    S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    for _ in 0..200 {
        let (code, body) = api.get(&format!("/v1/consensus/transactions/{id}")).await;
        assert_eq!(code, 200, "{body}");
        if body["status"] != "pending" {
            return body;
        }
        actix_rt::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{id} still pending after 10 s");
}

#[actix_rt::test]
async fn a_single_node_accepts_pre_signed_and_key_signed_transactions() {
    let api = start().await;
    let sender = SigningKey::generate(MlDsaLevel::MlDsa65).unwrap();
    let tx = signed(&sender, 1, b"hello");
    let (code, body) = api
        .post(
            "/v1/consensus/transactions",
            json!({"transaction": b64(tx.encode())}),
        )
        .await;
    assert_eq!(code, 202, "{body}");
    let id = body["tx_id"].as_str().unwrap().to_string();
    assert_eq!(id, hex::encode(tx.id().0));
    let status = decided(&api, &id).await;
    assert_eq!(status["status"], "accepted", "{status}");
    assert!(status["accepted_at"].as_u64() >= status["submitted_at"].as_u64());
    assert!(status["finality_ms"].is_u64());

    api.create_key("agent", "ml-dsa-65").await;
    let mut ids = Vec::new();
    for _ in 0..2 {
        let (code, body) = api
            .post(
                "/v1/consensus/transactions",
                json!({"key": "agent", "payload": b64(b"signed by the node")}),
            )
            .await;
        assert_eq!(code, 202, "{body}");
        ids.push(body["tx_id"].as_str().unwrap().to_string());
    }
    assert_ne!(ids[0], ids[1], "each gets its own nonce");
    for id in &ids {
        assert_eq!(decided(&api, id).await["status"], "accepted");
    }

    // The vertex carrying it is listed and readable.
    let vertex = status["vertex"].as_str().unwrap();
    let (code, v) = api.get(&format!("/v1/consensus/vertices/{vertex}")).await;
    assert_eq!(code, 200, "{v}");
    assert!(v["transactions"].as_array().unwrap().contains(&json!(id)));
    let (code, page) = api.get("/v1/consensus/vertices?limit=1").await;
    assert_eq!(code, 200, "{page}");
    assert_eq!(page["vertices"].as_array().unwrap().len(), 1);
    let next = page["next"].as_u64().unwrap();
    let (_, rest) = api
        .get(&format!("/v1/consensus/vertices?after={next}&limit=1000"))
        .await;
    assert!(rest["next"].is_null());
    assert!(rest["vertices"][0]["seq"].as_u64() > Some(next));

    let (code, s) = api.get("/v1/consensus/status").await;
    assert_eq!(code, 200, "{s}");
    assert_eq!(s["active"], true);
    assert_eq!(s["node_id"].as_str().unwrap().len(), 64);
    assert_eq!(s["peers"], json!([]));
    assert_eq!(s["transactions"]["accepted"], 3);
    assert!(s["accepted_tps"].as_f64().unwrap() > 0.0);
    assert!(s["finality"]["p50_ms"].is_u64(), "{s}");

    let (_, metrics) = api.get("/metrics").await;
    let text = metrics.as_str().unwrap();
    assert!(
        text.contains("cretoai_consensus_accepted_total 3\n"),
        "{text}"
    );
    assert!(text.contains("cretoai_consensus_finality_seconds_count 3\n"));
}

#[actix_rt::test]
async fn a_double_spend_settles_on_one_and_batches_report_per_item() {
    let api = start().await;
    let sender = SigningKey::generate(MlDsaLevel::MlDsa44).unwrap();
    let (a, b) = (
        signed(&sender, 7, b"pay alice"),
        signed(&sender, 7, b"pay bob"),
    );
    let mut forged = signed(&sender, 8, b"x").encode();
    let last = forged.len() - 1;
    forged[last] ^= 1;
    let (code, body) = api
        .post(
            "/v1/consensus/transactions/batch",
            json!([
                {"transaction": b64(a.encode())},
                {"transaction": b64(b.encode())},
                {"transaction": b64(forged)},
                {"transaction": "not base64!"},
                {"nonsense": 1},
            ]),
        )
        .await;
    assert_eq!(code, 202, "{body}");
    let items = body.as_array().unwrap();
    assert_eq!(items[0]["tx_id"], hex::encode(a.id().0));
    assert_eq!(items[1]["tx_id"], hex::encode(b.id().0));
    assert_eq!(items[2]["error"]["code"], "invalid_request");
    assert_eq!(items[3]["error"]["code"], "invalid_base64");
    assert_eq!(items[4]["error"]["code"], "invalid_json");
    let sa = decided(&api, items[0]["tx_id"].as_str().unwrap()).await;
    let sb = decided(&api, items[1]["tx_id"].as_str().unwrap()).await;
    let mut outcomes = [sa["status"].clone(), sb["status"].clone()];
    outcomes.sort_by_key(|v| v.to_string());
    assert_eq!(outcomes, [json!("accepted"), json!("rejected")]);
}

#[actix_rt::test]
async fn bad_requests_get_stable_errors() {
    let api = start().await;
    let path = "/v1/consensus/transactions";
    assert_error(
        &api.post(path, json!({"transaction": "%%"})).await,
        400,
        "invalid_base64",
    );
    assert_error(
        &api.post(path, json!({"transaction": "AQI="})).await,
        400,
        "invalid_request",
    );
    assert_error(&api.post(path, json!({})).await, 400, "invalid_request");
    assert_error(
        &api.post(path, json!({"key": "missing", "payload": "AA=="}))
            .await,
        404,
        "key_not_found",
    );
    api.create_key("kem", "ml-kem-768").await;
    assert_error(
        &api.post(path, json!({"key": "kem", "payload": "AA=="}))
            .await,
        422,
        "wrong_key_type",
    );
    assert_error(
        &api.post_as("nope-token-that-is-long", path, json!({}))
            .await,
        401,
        "unauthorized",
    );
    let reader = api.token(&["consensus:read"]).await;
    assert_error(
        &api.post_as(&reader, path, json!({})).await,
        403,
        "forbidden",
    );
    let zeros = "0".repeat(64);
    assert_error(
        &api.get(&format!("/v1/consensus/transactions/{zeros}"))
            .await,
        404,
        "transaction_not_found",
    );
    assert_error(
        &api.get(&format!("/v1/consensus/vertices/{zeros}")).await,
        404,
        "vertex_not_found",
    );
    assert_error(
        &api.get("/v1/consensus/transactions/xyz").await,
        400,
        "invalid_request",
    );
    assert_error(
        &api.get("/v1/consensus/vertices?limit=0").await,
        400,
        "invalid_request",
    );
}

/// `POST` of a binary batch (`application/octet-stream`) with `token`.
async fn post_binary<S, B>(api: &Api<S>, token: &str, body: Vec<u8>) -> (u16, Value)
where
    S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    api.send(
        actix_web::test::TestRequest::post()
            .uri("/v1/consensus/transactions/batch")
            .insert_header(("authorization", format!("Bearer {token}")))
            .insert_header(("content-type", MEDIA_TYPE))
            .set_payload(body),
    )
    .await
}

#[actix_rt::test]
async fn a_binary_batch_is_accepted_per_item_and_bad_framing_is_refused() {
    let api = start_with(|c| c.max_body_bytes = 12_000).await;
    let root = api.root.clone();
    let sender = SigningKey::generate(MlDsaLevel::MlDsa44).unwrap();
    let (a, b) = (signed(&sender, 1, b"one"), signed(&sender, 2, b"two"));
    let mut forged = signed(&sender, 3, b"three").encode();
    let last = forged.len() - 1;
    forged[last] ^= 1;
    let mut body = tx_frames::encode([&a, &b]);
    body.extend_from_slice(&(forged.len() as u32).to_be_bytes());
    body.extend_from_slice(&forged);
    body.extend_from_slice(&[0, 0, 0, 3, 1, 2, 3]);
    let (code, out) = post_binary(&api, &root, body).await;
    assert_eq!(code, 202, "{out}");
    let items = out.as_array().unwrap();
    assert_eq!(items.len(), 4);
    assert_eq!(items[0]["tx_id"], hex::encode(a.id().0));
    assert_eq!(items[1]["tx_id"], hex::encode(b.id().0));
    assert_eq!(items[2]["error"]["code"], "invalid_request", "{out}");
    assert_eq!(items[3]["error"]["code"], "invalid_request", "{out}");
    for item in &items[..2] {
        let status = decided(&api, item["tx_id"].as_str().unwrap()).await;
        assert_eq!(status["status"], "accepted");
    }

    // A cut frame fails the request; nothing in it is stored.
    let c = signed(&sender, 4, b"four");
    let whole = tx_frames::encode([&c]);
    let cut = whole[..whole.len() - 1].to_vec();
    assert_error(&post_binary(&api, &root, cut).await, 400, "invalid_request");
    let (code, _) = api
        .get(&format!(
            "/v1/consensus/transactions/{}",
            hex::encode(c.id().0)
        ))
        .await;
    assert_eq!(code, 404);
    // Same token rules and body limit as the JSON form.
    let reader = api.token(&["consensus:read"]).await;
    assert_error(
        &post_binary(&api, &reader, whole.clone()).await,
        403,
        "forbidden",
    );
    assert_error(
        &post_binary(&api, "nope-token-that-is-long", whole).await,
        401,
        "unauthorized",
    );
    let four = [&c, &a, &b, &c];
    assert_error(
        &post_binary(&api, &root, tx_frames::encode(four)).await,
        413,
        "payload_too_large",
    );
}

/// Reads a metric's value from `/metrics`.
async fn metric<S, B>(api: &Api<S>, name: &str) -> f64
where
    S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let (_, metrics) = api.get("/metrics").await;
    let text = metrics.as_str().unwrap().to_string();
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{name} ")))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("{name} missing from {text}"))
}

/// A core that keeps one decided outcome in memory reads older ones back from the store: a
/// retried transaction stays accepted, a late conflicting one is rejected.
#[actix_rt::test]
async fn outcomes_that_left_memory_are_read_back_from_the_store() {
    let api = start_with(|c| c.consensus.remembered_decisions = Some(1)).await;
    let sender = SigningKey::generate(MlDsaLevel::MlDsa44).unwrap();
    let submit = |tx: &Transaction| json!({"transaction": b64(tx.encode())});
    let first = signed(&sender, 1, b"first");
    let id = hex::encode(first.id().0);
    let (code, body) = api.post("/v1/consensus/transactions", submit(&first)).await;
    assert_eq!(code, 202, "{body}");
    assert_eq!(decided(&api, &id).await["status"], "accepted");
    for nonce in 2..5 {
        let tx = signed(&sender, nonce, b"later");
        let (code, body) = api.post("/v1/consensus/transactions", submit(&tx)).await;
        assert_eq!(code, 202, "{body}");
        let later = body["tx_id"].as_str().unwrap().to_string();
        assert_eq!(decided(&api, &later).await["status"], "accepted");
    }
    // Let the actor take a turn after the last commit, so the core hears it is durable.
    actix_rt::time::sleep(Duration::from_millis(200)).await;
    assert!(metric(&api, "cretoai_consensus_decided_in_memory").await <= 1.0);

    // The first one again: it comes back accepted, not as a newcomer to a decided nonce.
    let (code, body) = api.post("/v1/consensus/transactions", submit(&first)).await;
    assert_eq!(
        (code, body["tx_id"].as_str()),
        (202, Some(id.as_str())),
        "{body}"
    );
    let conflicting = signed(&sender, 1, b"first, spent again");
    let (code, body) = api
        .post("/v1/consensus/transactions", submit(&conflicting))
        .await;
    assert_eq!(code, 202, "{body}");
    let other = body["tx_id"].as_str().unwrap().to_string();
    assert_eq!(decided(&api, &other).await["status"], "rejected");
    actix_rt::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(decided(&api, &id).await["status"], "accepted");
    assert_eq!(metric(&api, "cretoai_consensus_accepted_total").await, 4.0);
    assert_eq!(metric(&api, "cretoai_consensus_rejected_total").await, 1.0);
}
