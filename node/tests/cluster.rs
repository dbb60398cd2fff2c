//! Three real `cretoai-node` processes on 127.0.0.1 forming a QR-Avalanche cluster over
//! post-quantum QUIC: acceptance everywhere, double spends, `kill -9` and restart, loss of
//! quorum (and admission control while it is lost), a fresh cluster whose third node starts late, an unknown node trying to join, and a node cut off from
//! the others' QUIC traffic (through a UDP relay) while it takes one side of double spends.
//! Waits poll with timeouts.

#[path = "cluster/harness.rs"]
mod harness;
#[path = "cluster/relay.rs"]
mod relay;

use harness::{serial, Client, Cluster, NodeProc};
use relay::start_behind_relay;
use std::time::{Duration, Instant};

const DECIDE: Duration = Duration::from_secs(30);

#[test]
fn transactions_submitted_to_different_nodes_are_accepted_on_all_three() {
    let _guard = serial();
    let cluster = Cluster::start(3);
    for node in &cluster.nodes {
        let s = node.status();
        for peer in s["peers"].as_array().unwrap() {
            assert_eq!(peer["key_exchange_group"], "X25519MLKEM768", "{s}");
        }
    }
    let client = Client::new();
    let ids: Vec<String> = (0..6)
        .map(|i| cluster.nodes[i % 3].submit(&client.tx(i as u64, b"transfer")))
        .collect();
    for id in &ids {
        cluster.wait_status(id, "accepted", DECIDE);
    }
    // Every node holds the vertices and reports finality for what it accepted.
    for node in &cluster.nodes {
        let (code, body) = node.get(&format!("/v1/consensus/transactions/{}", ids[0]));
        assert_eq!(code, 200);
        assert!(body["vertex"].is_string(), "{body}");
        assert!(body["finality_ms"].is_u64(), "{body}");
        let vertex = body["vertex"].as_str().unwrap();
        let (code, v) = node.get(&format!("/v1/consensus/vertices/{vertex}"));
        assert_eq!(code, 200, "{v}");
        assert!(v["transactions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t == &body["tx_id"]));
        let s = node.status();
        assert!(s["transactions"]["accepted"].as_u64().unwrap() >= 6, "{s}");
    }
    // The peers' links are in the metrics too.
    let (code, metrics) = cluster.nodes[0].get("/metrics");
    let text = metrics.as_str().unwrap_or_default();
    assert_eq!(code, 200);
    for peer in &cluster.nodes[1..] {
        let up = format!(
            "cretoai_consensus_peer_up{{peer=\"{}\",address=\"{}\",key_exchange_group=\"X25519MLKEM768\"}} 1\n",
            peer.id, peer.quic
        );
        assert!(text.contains(&up), "{up} missing from\n{text}");
        let rtt = format!(
            "cretoai_consensus_peer_rtt_seconds{{peer=\"{}\"}} ",
            peer.id
        );
        assert!(text.contains(&rtt), "{rtt} missing from\n{text}");
    }
    assert!(
        text.contains("cretoai_consensus_connected_peers 2\n"),
        "{text}"
    );
}

#[test]
fn conflicting_transactions_on_different_nodes_settle_on_exactly_one_everywhere() {
    let _guard = serial();
    let cluster = Cluster::start(3);
    let client = Client::new();
    for round in 0..3u64 {
        let a = cluster.nodes[0].submit(&client.tx(round, b"pay alice"));
        let b = cluster.nodes[1].submit(&client.tx(round, b"pay bob"));
        assert_ne!(a, b);
        // A loser rejected before it was put in a vertex never reaches the other nodes
        // (unknown there); what must hold is one winner, the same on every node.
        let accepted = |n: &NodeProc, id: &str| n.tx_status(id).as_deref() == Some("accepted");
        cluster.wait(DECIDE, "one side accepted everywhere", || {
            cluster
                .nodes
                .iter()
                .all(|n| accepted(n, &a) != accepted(n, &b))
        });
        let winner_is_a = accepted(&cluster.nodes[0], &a);
        for n in &cluster.nodes {
            assert_eq!(accepted(n, &a), winner_is_a, "every node agrees");
            let loser = if winner_is_a { &b } else { &a };
            assert!(
                matches!(n.tx_status(loser).as_deref(), None | Some("rejected")),
                "the other side is never accepted"
            );
        }
    }
}

#[test]
fn a_killed_node_misses_nothing_once_restarted_and_the_others_keep_going() {
    let _guard = serial();
    let mut cluster = Cluster::start(3);
    let client = Client::new();
    let before = cluster.nodes[0].submit(&client.tx(0, b"before"));
    cluster.wait_status(&before, "accepted", DECIDE);

    cluster.nodes[2].kill();
    let during: Vec<String> = (1..5)
        .map(|i| cluster.nodes[(i % 2) as usize].submit(&client.tx(i, b"during")))
        .collect();
    for id in &during {
        cluster.wait_status(id, "accepted", DECIDE);
    }

    cluster.nodes[2].start();
    cluster.wait_ready(2);
    let restarted = &cluster.nodes[2];
    assert_eq!(restarted.tx_status(&before).as_deref(), Some("accepted"));
    for id in &during {
        cluster.wait(DECIDE, "restarted node catches up", || {
            restarted.tx_status(id).as_deref() == Some("accepted")
        });
    }
    let after = restarted.submit(&client.tx(9, b"after"));
    cluster.wait_status(&after, "accepted", DECIDE);
}

#[test]
fn with_two_of_three_down_nothing_is_accepted_nothing_is_lost_and_the_backlog_is_bounded() {
    let _guard = serial();
    let mut cluster = Cluster::configure(3);
    // Node 0 admits at most two undecided transactions.
    cluster.nodes[0]
        .args
        .extend(["--consensus-max-undecided".into(), "2".into()]);
    for node in &mut cluster.nodes {
        node.start();
    }
    for i in 0..3 {
        cluster.wait_ready(i);
    }
    let client = Client::new();
    let early = cluster.nodes[0].submit(&client.tx(0, b"early"));
    cluster.wait_status(&early, "accepted", DECIDE);

    cluster.nodes[1].kill();
    cluster.nodes[2].kill();
    let lonely = cluster.nodes[0].submit(&client.tx(1, b"alone"));
    let second = cluster.nodes[0].submit(&client.tx(2, b"alone too"));
    // The backlog is at its bound: the next submission is refused and not stored.
    let refused = client.tx(3, b"one too many");
    let (code, body) = cluster.nodes[0].post(
        "/v1/consensus/transactions/batch",
        &serde_json::json!([{ "transaction": harness::base64_encode(&refused.encode()) }]),
    );
    assert_eq!(
        (code, body["error"]["code"].as_str()),
        (429, Some("overloaded")),
        "{body}"
    );
    let refused_id = hex::encode(refused.id().0);
    assert_eq!(cluster.nodes[0].tx_status(&refused_id), None);
    let s = cluster.nodes[0].status();
    assert_eq!(
        (&s["max_undecided"], &s["overloaded_requests"]),
        (&serde_json::json!(2), &serde_json::json!(1)),
        "{s}"
    );
    // A fixed observation period is the point here: nothing may be accepted during it.
    std::thread::sleep(Duration::from_secs(4));
    for id in [&lonely, &second] {
        assert_eq!(cluster.nodes[0].tx_status(id).as_deref(), Some("pending"));
    }
    assert_eq!(
        cluster.nodes[0].tx_status(&early).as_deref(),
        Some("accepted")
    );

    cluster.nodes[1].start();
    cluster.nodes[2].start();
    for i in 0..3 {
        cluster.wait_ready(i);
    }
    for id in [&lonely, &second, &early] {
        cluster.wait_status(id, "accepted", DECIDE);
    }
    // The backlog drained: the refused transaction is admitted now.
    assert_eq!(cluster.nodes[0].submit(&refused), refused_id);
    cluster.wait_status(&refused_id, "accepted", DECIDE);
}

#[test]
fn a_fresh_cluster_runs_on_two_of_three_and_takes_the_third_in_when_it_starts() {
    let _guard = serial();
    let mut cluster = Cluster::configure(3);
    // The third node has never run: nobody knows its key.
    cluster.nodes[0].start();
    cluster.nodes[1].start();
    cluster.wait_active(0);
    cluster.wait_active(1);
    let client = Client::new();
    let early = cluster.nodes[0].submit(&client.tx(0, b"two of three"));
    cluster.wait_status(&early, "accepted", DECIDE);
    // What node `from`'s status says of whether it knows node `of`'s key.
    fn key_known(cluster: &Cluster, from: usize, of: usize) -> Option<bool> {
        let id = cluster.nodes[of].peer_text();
        let s = cluster.nodes[from].status();
        s["peers"].as_array().and_then(|peers| {
            peers
                .iter()
                .find(|p| id.starts_with(p["node_id"].as_str().unwrap_or("?")))
                .and_then(|p| p["key_known"].as_bool())
        })
    }
    assert_eq!(
        key_known(&cluster, 0, 1),
        Some(true),
        "node 0 learned node 1's key"
    );
    assert_eq!(
        key_known(&cluster, 0, 2),
        Some(false),
        "nobody knows the absent node's key"
    );

    cluster.nodes[2].start();
    cluster.wait_ready(2);
    let third = &cluster.nodes[2];
    cluster.wait(DECIDE, "the late node catches up", || {
        third.tx_status(&early).as_deref() == Some("accepted")
    });
    // Its own vertices count once the others have learned its key.
    let late = third.submit(&client.tx(1, b"from the late node"));
    cluster.wait_status(&late, "accepted", DECIDE);
    assert_eq!(
        key_known(&cluster, 0, 2),
        Some(true),
        "its key is known once it is reached"
    );
}

#[test]
fn an_unknown_node_cannot_join() {
    let _guard = serial();
    let cluster = Cluster::start(3);
    let mut stranger = NodeProc::new();
    stranger.peers = cluster.nodes.iter().map(NodeProc::peer_text).collect();
    stranger.start();
    cluster.wait(
        Duration::from_secs(15),
        "the stranger's dials to fail",
        || {
            let s = stranger.status();
            s["peers"]
                .as_array()
                .is_some_and(|p| p.iter().all(|p| p["failed_attempts"].as_u64() >= Some(2)))
        },
    );
    let s = stranger.status();
    assert_eq!(s["active"], false, "{s}");
    for p in s["peers"].as_array().unwrap() {
        assert_eq!(p["connected"], false, "{s}");
    }
    let (code, body) = stranger.post(
        "/v1/consensus/transactions",
        &serde_json::json!({ "transaction": "AQ==" }),
    );
    assert_eq!(code, 400, "{body}");
    let tx = Client::new().tx(0, b"from outside");
    let b64 = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(tx.encode())
    };
    let (code, body) = stranger.post(
        "/v1/consensus/transactions",
        &serde_json::json!({ "transaction": b64 }),
    );
    assert_eq!(code, 503, "{body}");
    assert_eq!(body["error"]["code"], "unavailable");
    for node in &cluster.nodes {
        let s = node.status();
        let peers = s["peers"].as_array().unwrap();
        assert_eq!(peers.len(), 2);
        assert!(peers.iter().all(|p| p["node_id"] != stranger.id.as_str()));
    }
}

/// The liveness bug this guards against: a node cut off from the others keeps acknowledging
/// transactions and putting them in its vertices beside one side of double spends that the
/// others decide the other way. Once the partition heals those vertices carry losers and can
/// never be accepted, so their ordinary transactions must be re-issued to be decided.
#[test]
fn transactions_stranded_by_a_partition_are_decided_everywhere_once_it_heals() {
    let _guard = serial();
    let (cluster, relay) = start_behind_relay(3);
    let (client, spender) = (Client::new(), Client::new());
    let (mut plain, mut pairs) = (Vec::new(), Vec::new());
    relay.cut_off(2);
    let cut = Instant::now();
    let bound = cluster.nodes[2].status()["decision_bound_ms"]
        .as_u64()
        .unwrap();
    // Longer than the liveness bound, so that the cut-off node reports overdue transactions.
    while cut.elapsed() < Duration::from_millis(bound + 5_000) {
        for node in &cluster.nodes {
            let nonce = plain.len() as u64;
            plain.push(node.submit(&client.tx(nonce, b"transfer")));
        }
        let nonce = pairs.len() as u64;
        let lost = cluster.nodes[2].submit(&spender.tx(nonce, b"pay alice"));
        let won = cluster.nodes[0].submit(&spender.tx(nonce, b"pay bob"));
        pairs.push((won, lost));
        std::thread::sleep(Duration::from_secs(1));
    }
    let s = cluster.nodes[2].status();
    assert!(s["overdue_transactions"].as_u64().unwrap() > 0, "{s}");
    assert!(s["oldest_pending_ms"].as_u64().unwrap() > bound, "{s}");
    let (_, metrics) = cluster.nodes[2].get("/metrics");
    let text = metrics.as_str().unwrap_or_default();
    assert!(
        text.contains("cretoai_consensus_overdue_transactions ")
            && !text.contains("cretoai_consensus_overdue_transactions 0\n"),
        "{text}"
    );

    relay.heal();
    let healed = Instant::now();
    for id in &plain {
        cluster.wait_status(id, "accepted", Duration::from_secs(180));
    }
    // The majority decided each double spend while node 2 was away: its side lost everywhere.
    for (won, lost) in &pairs {
        cluster.wait_status(won, "accepted", DECIDE);
        cluster.wait_status(lost, "rejected", DECIDE);
    }
    // Each transaction reports the vertex it was decided through, which carries it.
    for node in &cluster.nodes {
        for id in plain.iter().skip(2).step_by(3) {
            let (_, tx) = node.get(&format!("/v1/consensus/transactions/{id}"));
            let vertex = tx["vertex"].as_str().unwrap();
            let (code, v) = node.get(&format!("/v1/consensus/vertices/{vertex}"));
            assert_eq!(code, 200, "{v}");
            assert!(
                v["transactions"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|t| t == id),
                "{v}"
            );
        }
    }
    println!(
        "{} transactions and {} double spends decided on every node {:.1} s after the partition healed",
        plain.len(),
        pairs.len(),
        healed.elapsed().as_secs_f64()
    );
    cluster.wait(DECIDE, "no overdue transactions", || {
        cluster
            .nodes
            .iter()
            .all(|n| n.status()["overdue_transactions"] == 0)
    });
}
