//! The console's whole-cluster view across three real `cretoai-node` processes: each node
//! answers for all three from the summaries they send each other over QUIC, keeps their
//! per-second history, and reports a node that stops as down with when it was last seen.

#[path = "cluster/harness.rs"]
mod harness;

use harness::{serial, Client, Cluster};
use serde_json::Value;
use std::time::Duration;

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

    // Traffic through node 1, so its figures have something to show.
    let client = Client::new();
    let txs: Vec<String> = (0..3)
        .map(|i| cluster.nodes[1].submit(&client.tx(i, b"console")))
        .collect();
    for tx in &txs {
        cluster.wait_status(tx, "accepted", Duration::from_secs(30));
    }

    // Every node lists all three, up, with a summary that includes node 1's acceptances.
    for (i, node) in cluster.nodes.iter().enumerate() {
        cluster.wait(Duration::from_secs(20), "every member reported", || {
            let (_, s) = node.get("/v1/cluster/status");
            members(&s)
                .iter()
                .all(|m| m["up"] == true && m["summary"]["accepted"].as_u64().unwrap_or(0) >= 3)
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
