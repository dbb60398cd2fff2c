//! What the console relies on, across real processes: the whole-cluster view of three
//! `cretoai-node`s (each answers for all three from the summaries they send each other over
//! QUIC, keeps their per-second history, and reports a node that stops as down with when it was
//! last seen), and the AuthZ relay to a real `cretoai-authz-sidecar` with scoped tokens.

#[path = "cluster/harness.rs"]
mod harness;
#[path = "console/sidecar.rs"]
mod sidecar;

use harness::{serial, Client, Cluster, NodeProc, TOKEN};
use serde_json::{json, Value};
use std::time::Duration;

#[test]
fn the_authz_relay_reaches_the_sidecar_and_keeps_tokens_scoped() {
    let _guard = serial();
    let mut node = NodeProc::new();
    let sidecar = sidecar::start_sidecar(&node.authority, &node.url());
    node.args = vec!["--authz-sidecar-url".into(), sidecar.url.clone()];
    // The node reads the sidecar's admin token from its environment, inherited from here.
    std::env::set_var("CRETOAI_AUTHZ_SIDECAR_TOKEN", TOKEN);
    node.start();
    // Every call over HTTPS through the shared client, each with its own token.
    let call = |token: &str, method: &str, path: &str, body: Option<Value>| {
        node.call(token, method, path, body.as_ref())
    };
    let (_, viewer) = node.post("/v1/auth/tokens", &json!({"scopes": ["viewer"]}));
    let viewer = viewer["token"].as_str().unwrap().to_string();
    let check = json!({
        "principal": {"id": "agent-7", "roles": ["payments-agent"], "attributes": {"transfer_limit": 5000, "currency": "EUR"}},
        "resource": {"kind": "Payment", "id": "p-42", "attributes": {"amount": 120, "currency": "EUR", "destination_country": "DE"}},
        "action": "payments:initiate", "context": {}, "compare": true
    });

    // Reading is open to a viewer; a decision and the mode switch are not.
    let (code, mode) = call(&viewer, "GET", "/v1/authz/mode", None);
    assert_eq!(
        (code, mode["mode"].as_str()),
        (200, Some("classical")),
        "{mode}"
    );
    let (code, compare) = call(&viewer, "GET", "/v1/authz/compare", None);
    assert_eq!(code, 200, "{compare}");
    let (code, body) = call(&viewer, "POST", "/v1/authz/check", Some(check.clone()));
    assert_eq!(
        (code, body["error"]["code"].as_str()),
        (403, Some("forbidden"))
    );
    let (code, body) = call(
        &viewer,
        "PUT",
        "/v1/authz/mode",
        Some(json!({"mode": "pqc"})),
    );
    assert_eq!(
        (code, body["error"]["code"].as_str()),
        (403, Some("forbidden"))
    );

    // The root token signs a decision classically, switches to pqc, and the classical token
    // is then refused with the sidecar's own reason.
    let (code, decision) = call(TOKEN, "POST", "/v1/authz/check", Some(check.clone()));
    assert_eq!(code, 200, "{decision}");
    assert_eq!(decision["allowed"], true);
    assert_eq!(decision["signature"]["alg"], "RS256");
    assert!(
        decision["compare"].as_array().unwrap().len() >= 7,
        "{decision}"
    );
    let classical = decision["decision_token"].as_str().unwrap().to_string();
    let (code, body) = call(TOKEN, "PUT", "/v1/authz/mode", Some(json!({"mode": "pqc"})));
    assert_eq!((code, body["mode"].as_str()), (200, Some("pqc")), "{body}");
    let (code, decision) = call(TOKEN, "POST", "/v1/authz/check", Some(check));
    assert_eq!(
        (code, decision["signature"]["alg"].as_str()),
        (200, Some("ML-DSA-65"))
    );
    let (code, refused) = call(
        &viewer,
        "POST",
        "/v1/authz/verify",
        Some(json!({"token": classical})),
    );
    assert_eq!(code, 422, "{refused}");
    assert_eq!(refused["error"]["code"], "alg_not_accepted", "{refused}");

    // A relayed call with a body the node does not take never reaches the sidecar.
    let (code, body) = call(
        TOKEN,
        "POST",
        "/v1/authz/check",
        Some(json!({"principal": 1})),
    );
    assert_eq!(
        (code, body["error"]["code"].as_str()),
        (400, Some("invalid_json"))
    );
    drop(sidecar);
    let (code, body) = call(TOKEN, "GET", "/v1/authz/mode", None);
    assert_eq!(
        (code, body["error"]["code"].as_str()),
        (502, Some("sidecar_failed"))
    );
}

fn members(status: &Value) -> &Vec<Value> {
    status["nodes"].as_array().expect("nodes")
}

#[test]
fn every_node_answers_for_the_whole_cluster_and_sees_a_stopped_node_go_down() {
    let _guard = serial();
    let mut cluster = Cluster::start(3);
    let ids: Vec<String> = cluster.nodes.iter().map(|n| n.id.clone()).collect();
    let mut sorted = ids.clone();
    sorted.sort();

    // A transaction through each node, so that each authors a vertex and has a round.
    let client = Client::new();
    let txs: Vec<String> = (0..3)
        .map(|i| cluster.nodes[i].submit(&client.tx(i as u64, b"console")))
        .collect();
    for tx in &txs {
        cluster.wait_status(tx, "accepted", Duration::from_secs(30));
    }

    // Every node lists all three, up, each with a summary that counts the three acceptances.
    for (i, node) in cluster.nodes.iter().enumerate() {
        cluster.wait(Duration::from_secs(20), "every member reported", || {
            let (_, s) = node.get("/v1/cluster/status");
            members(&s).iter().all(|m| {
                m["up"] == true
                    && m["summary"]["accepted"].as_u64().unwrap_or(0) >= 3
                    && m["summary"]["round"].is_u64()
                    && m["summary"]["peers"]
                        .as_array()
                        .is_some_and(|p| p.iter().all(|p| p["connected"] == true))
            })
        });
        let (code, s) = node.get("/v1/cluster/status");
        assert_eq!(code, 200, "{s}");
        assert_eq!(s["reported_by"], ids[i]);
        let listed: Vec<&str> = members(&s)
            .iter()
            .map(|m| m["node_id"].as_str().unwrap())
            .collect();
        assert_eq!(listed, sorted, "{s}");
        for m in members(&s) {
            assert_eq!(m["this_node"], m["node_id"] == ids[i].as_str(), "{m}");
            let summary = &m["summary"];
            assert_eq!(summary["active"], true, "{m}");
            assert!(summary["rss_bytes"].as_u64().unwrap() > 1 << 20, "{m}");
            assert!(summary["round"].as_u64().is_some(), "{m}");
            let peers = summary["peers"].as_array().unwrap();
            assert_eq!(peers.len(), 2, "{m}");
            for p in peers {
                assert_eq!(p["connected"], true, "{m}");
                assert_eq!(p["key_exchange_group"], "X25519MLKEM768", "{m}");
                assert!(p["rtt_ms"].as_f64().is_some(), "{m}");
            }
        }
    }

    // Each node's history, relayed: samples for all three, one a second, in order.
    cluster.wait(Duration::from_secs(20), "three samples per node", || {
        let (_, h) = cluster.nodes[0].get("/v1/cluster/history");
        h["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|n| n["samples"].as_array().unwrap().len() >= 3)
    });
    let (_, h) = cluster.nodes[0].get("/v1/cluster/history");
    assert_eq!(h["interval_ms"], 1000);
    for n in h["nodes"].as_array().unwrap() {
        let times: Vec<u64> = n["samples"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["t_ms"].as_u64().unwrap())
            .collect();
        assert!(times.windows(2).all(|w| w[0] < w[1]), "{n}");
        assert!(n["samples"][0]["rss_bytes"].as_u64().unwrap() > 0, "{n}");
    }

    // Node 2 stops: the others report it down, keep its last summary and when it was seen.
    let stopped = ids[2].clone();
    cluster.nodes[2].kill();
    let node0 = &cluster.nodes[0];
    cluster.wait(Duration::from_secs(20), "node 2 reported down", || {
        let (_, s) = node0.get("/v1/cluster/status");
        members(&s)
            .iter()
            .any(|m| m["node_id"] == stopped.as_str() && m["up"] == false)
    });
    let (_, s) = node0.get("/v1/cluster/status");
    let down = members(&s)
        .iter()
        .find(|m| m["node_id"] == stopped.as_str())
        .unwrap();
    let seen = down["last_seen_ms"].as_u64().unwrap();
    let now = s["now_ms"].as_u64().unwrap();
    assert!(now - seen > s["stale_after_ms"].as_u64().unwrap(), "{s}");
    assert!(down["summary"]["accepted"].as_u64().unwrap() >= 3, "{down}");
    assert_eq!(members(&s).iter().filter(|m| m["up"] == true).count(), 2);
}
