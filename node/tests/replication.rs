//! Named keys, vault secrets and API tokens are cluster state: three real `cretoai-node`
//! processes sharing one cluster key (`--cluster-key-file`), driven only through the REST API.
//!
//! What it shows: a change made on any node (keys: create, rotate, config, delete; secrets:
//! write, check-and-set, delete, undelete, destroy, metadata; tokens: create, revoke) is served
//! by every node, identically (same versions, times and public keys); the node that answered
//! 2xx serves it at once; two check-and-set writes racing on two nodes have one winner
//! everywhere; a node cut off from the others refuses writes (`503 no_quorum`) and catches up
//! once the partition heals; a write survives `kill -9` of the node that acknowledged it; and
//! neither a secret value nor private key material is carried in the clear by the consensus
//! transactions or written in the clear anywhere under a node's data directory.
//!
//! Other nodes apply a change shortly after it is acknowledged, so every check there polls
//! (up to [`calls::SPREAD`]).

#[path = "replication/calls.rs"]
mod calls;
#[path = "cluster/harness.rs"]
mod harness;
#[path = "cluster/relay.rs"]
mod relay;
#[path = "replication/scan.rs"]
mod scan;

use calls::{
    code, converged, create_key, fresh, metadata, no_content, on_every_node, put_secret, secret,
    trio, write, SPREAD,
};
use cretoai_crypto::random;
use harness::{base64_encode as b64, serial, Cluster, NodeProc, TOKEN};
use relay::start_behind_relay;
use scan::nothing_secret_in_transactions_or_files;
use serde_json::{json, Value};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Barrier;

/// A named step run on the shared cluster.
type Scenario = (&'static str, fn(&mut Cluster));

/// Runs the scenarios on one cluster, each to its end even when an earlier one failed (they use
/// names of their own), then reports every failure.
#[test]
fn keys_secrets_and_tokens_changed_on_any_node_are_served_by_every_node() {
    let _guard = serial();
    let mut cluster = Cluster::start(3);
    let scenarios: [Scenario; 7] = [
        ("key lifecycle", |c| key_changes_reach_every_node(c)),
        ("signing", |c| a_key_signs_on_every_node(c)),
        ("secret reads", |c| a_secret_reads_the_same_everywhere(c)),
        ("vault lifecycle", |c| vault_changes_reach_every_node(c)),
        ("check-and-set race", |c| {
            racing_check_and_set_has_one_winner(c)
        }),
        ("tokens", |c| a_token_works_everywhere_until_revoked(c)),
        (
            "nothing in the clear",
            nothing_secret_in_transactions_or_files,
        ),
    ];
    let failed: Vec<&str> = scenarios
        .iter()
        .filter(|(_, run)| catch_unwind(AssertUnwindSafe(|| run(&mut cluster))).is_err())
        .map(|(name, _)| *name)
        .collect();
    assert!(failed.is_empty(), "failed scenarios: {failed:?}");
}

/// Create on node 1, rotate on node 2, configure on node 3, delete on node 1; a ciphertext
/// sealed on one node opens on another.
fn key_changes_reach_every_node(cluster: &Cluster) {
    let [n1, n2, n3] = trio(cluster);
    let name = fresh("orders");
    let path = format!("/v1/keys/{name}");
    let created = create_key(n1, &name, "ml-kem-768");
    assert_eq!(converged(cluster, &path), created);

    let (status, rotated) = n2.call(TOKEN, "POST", &format!("{path}/rotate"), None);
    assert_eq!(
        (status, &rotated["latest_version"]),
        (200, &json!(2)),
        "{rotated}"
    );
    let after = converged(cluster, &path);
    assert_eq!(after, rotated);
    assert_eq!(after["versions"][0], created["versions"][0], "v1 unchanged");

    let plaintext = b64(b"sealed on node 3, opened on node 1");
    let (status, sealed) = n3.post(
        "/v1/encrypt",
        &json!({ "key": name, "plaintext": plaintext }),
    );
    assert_eq!(
        (status, &sealed["key_version"]),
        (200, &json!(2)),
        "{sealed}"
    );
    let body = json!({ "key": name, "ciphertext": sealed["ciphertext"] });
    let (status, opened) = n1.post("/v1/decrypt", &body);
    assert_eq!(
        (status, &opened["plaintext"]),
        (200, &json!(plaintext)),
        "{opened}"
    );

    let settings = json!({ "min_decryption_version": 2, "deletion_allowed": true });
    let (status, configured) = n3.post(&format!("{path}/config"), &settings);
    assert_eq!(status, 200, "{configured}");
    let after = converged(cluster, &path);
    assert_eq!(after, configured);
    assert_eq!(
        (&after["min_decryption_version"], &after["deletion_allowed"]),
        (&json!(2), &json!(true))
    );

    no_content(n1, "DELETE", &path, None);
    assert_eq!(n1.get(&path).0, 404, "read-your-writes");
    on_every_node(cluster, "the key gone everywhere", |n| {
        let (status, body) = n.get(&path);
        status == 404 && code(&body) == "key_not_found"
    });
}

/// An ML-DSA key created on node 1 signs on nodes 2 and 3, node 1 verifies; after a rotation on
/// node 2 every node shows version 2 and signs with it.
fn a_key_signs_on_every_node(cluster: &Cluster) {
    let [n1, n2, n3] = trio(cluster);
    let name = fresh("payments-signer");
    let path = format!("/v1/keys/{name}");
    let created = create_key(n1, &name, "ml-dsa-65");
    converged(cluster, &path);
    let message = b64(b"pay 10 to bob");
    let sign = |node: &NodeProc, version: u32| {
        let body = json!({ "key": name, "message": message, "context": "payments/v1" });
        let (status, signed) = node.post("/v1/sign", &body);
        assert_eq!(status, 200, "{signed}");
        assert_eq!(
            (&signed["key_version"], &signed["algorithm"]),
            (&json!(version), &json!("ml-dsa-65"))
        );
        signed["signature"].clone()
    };
    let verify = |request: Value| {
        let (status, answer) = n1.post("/v1/verify", &request);
        assert_eq!((status, &answer["valid"]), (200, &json!(true)), "{answer}");
    };
    for signer in [n2, n3] {
        let signature = sign(signer, 1);
        verify(json!({ "key": name, "key_version": 1, "message": message,
            "signature": signature, "context": "payments/v1" }));
        // Against the public key node 1 published at creation, not only by name.
        verify(json!({ "public_key": created["versions"][0]["public_key"],
            "algorithm": "ml-dsa-65", "message": message, "signature": signature,
            "context": "payments/v1" }));
    }

    let (status, rotated) = n2.call(TOKEN, "POST", &format!("{path}/rotate"), None);
    assert_eq!(status, 200, "{rotated}");
    let after = converged(cluster, &path);
    assert_eq!((&after["latest_version"], &after), (&json!(2), &rotated));
    let signature = sign(n3, 2);
    verify(json!({ "key": name, "key_version": 2, "message": message,
        "signature": signature, "context": "payments/v1" }));
}

/// Two versions written on node 2 read the same on node 3 (and node 1): values, version numbers,
/// created times and the whole metadata.
fn a_secret_reads_the_same_everywhere(cluster: &Cluster) {
    let [_, n2, n3] = trio(cluster);
    let path = format!("apps/{}/db", fresh("billing"));
    let first = write(n2, &path, json!({ "password": "first" }), None);
    let second = write(n2, &path, json!({ "password": "second" }), Some(1));
    assert_eq!(
        (&first["version"], &second["version"]),
        (&json!(1), &json!(2))
    );
    on_every_node(cluster, "version 2 everywhere", |n| {
        n.get(&metadata(&path)).1["current_version"] == 2
    });
    for route in [
        secret(&path),
        format!("{}?version=1", secret(&path)),
        metadata(&path),
    ] {
        assert_eq!(
            n3.get(&route),
            n2.get(&route),
            "{route} on node 3 and node 2"
        );
        converged(cluster, &route);
    }
    let (_, latest) = n3.get(&secret(&path));
    assert_eq!(
        (&latest["data"]["password"], &latest["created_at"]),
        (&json!("second"), &second["created_at"])
    );
    let (_, meta) = n3.get(&metadata(&path));
    let created: Vec<&Value> = meta["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| &v["created_at"])
        .collect();
    assert_eq!(created, [&first["created_at"], &second["created_at"]]);
}

/// Versions written, soft-deleted, undeleted, destroyed, the version limit set and the secret
/// deleted, each step on another node, each seen by all.
fn vault_changes_reach_every_node(cluster: &Cluster) {
    let [n1, n2, n3] = trio(cluster);
    let path = format!("apps/{}/api", fresh("search"));
    for v in 1..=3u32 {
        write(n1, &path, json!({ "v": v }), Some(v - 1));
    }
    converged(cluster, &metadata(&path));

    let (status, meta) = n2.post(&metadata(&path), &json!({ "max_versions": 5 }));
    assert_eq!(status, 200, "{meta}");
    assert_eq!(converged(cluster, &metadata(&path))["max_versions"], 5);

    no_content(n3, "DELETE", &secret(&path), None);
    on_every_node(cluster, "version 3 deleted everywhere", |n| {
        code(&n.get(&secret(&path)).1) == "secret_version_deleted"
    });
    converged(cluster, &metadata(&path));

    let undelete = format!("{}/undelete", secret(&path));
    no_content(n1, "POST", &undelete, Some(&json!({ "versions": [3] })));
    assert_eq!(
        converged(cluster, &secret(&path))["data"],
        json!({ "v": 3 })
    );

    let destroy = format!("{}/destroy", secret(&path));
    no_content(n2, "POST", &destroy, Some(&json!({ "versions": [1] })));
    on_every_node(cluster, "version 1 destroyed everywhere", |n| {
        let (status, body) = n.get(&format!("{}?version=1", secret(&path)));
        status == 410 && code(&body) == "secret_version_destroyed"
    });
    let meta = converged(cluster, &metadata(&path));
    let states: Vec<&Value> = meta["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| &v["state"])
        .collect();
    assert_eq!(states, ["destroyed", "active", "active"], "{meta}");

    no_content(n3, "DELETE", &metadata(&path), None);
    on_every_node(cluster, "the secret gone everywhere", |n| {
        let (status, body) = n.get(&secret(&path));
        status == 404 && code(&body) == "secret_not_found"
    });
}

/// Rounds of two check-and-set writes with the same `cas`, sent at once to two nodes: one wins,
/// the other gets `409 cas_mismatch`, and every node ends on the winner's version and value.
fn racing_check_and_set_has_one_winner(cluster: &Cluster) {
    let nodes = trio(cluster);
    let path = format!("apps/{}/lock", fresh("race"));
    write(nodes[0], &path, json!({ "writer": "none" }), Some(0));
    converged(cluster, &metadata(&path));
    for round in 1..=3u32 {
        let pair = [(round as usize - 1) % 3, round as usize % 3];
        let barrier = Barrier::new(2);
        let answers: Vec<(u16, Value)> = std::thread::scope(|s| {
            let racers: Vec<_> = pair
                .iter()
                .map(|&i| {
                    let barrier = &barrier;
                    let path = &path;
                    s.spawn(move || {
                        barrier.wait();
                        put_secret(nodes[i], path, json!({ "writer": i }), Some(round))
                    })
                })
                .collect();
            racers.into_iter().map(|r| r.join().unwrap()).collect()
        });
        let won: Vec<usize> = (0..2).filter(|&k| answers[k].0 == 200).collect();
        assert_eq!(
            won.len(),
            1,
            "round {round}: exactly one winner: {answers:?}"
        );
        let (winner, loser) = (pair[won[0]], &answers[1 - won[0]]);
        assert_eq!(
            (loser.0, code(&loser.1)),
            (409, "cas_mismatch"),
            "{loser:?}"
        );
        assert_eq!(answers[won[0]].1["version"], round + 1);
        let current = converged(cluster, &secret(&path));
        assert_eq!(
            (&current["version"], &current["data"]),
            (&json!(round + 1), &json!({ "writer": winner })),
            "round {round}: node {} won",
            winner + 1
        );
        assert_eq!(
            converged(cluster, &metadata(&path))["current_version"],
            round + 1
        );
    }
}

/// A token created on node 3 authenticates on nodes 1 and 2 with its scopes; revoked on node 2,
/// it is refused (401) by every node within [`SPREAD`] of the revocation's 204.
fn a_token_works_everywhere_until_revoked(cluster: &Cluster) {
    let [n1, n2, n3] = trio(cluster);
    let request = json!({ "scopes": ["keys:read"], "ttl_seconds": 3600 });
    let (status, created) = n3.post("/v1/auth/tokens", &request);
    assert_eq!(status, 201, "{created}");
    let token = created["token"].as_str().unwrap().to_string();
    let id = created["id"].as_str().unwrap().to_string();
    let whoami = |n: &NodeProc| n.call(&token, "GET", "/v1/auth/tokens/self", None);
    assert_eq!(whoami(n3).0, 200, "read-your-writes");
    on_every_node(cluster, "the token accepted everywhere", |n| {
        whoami(n).0 == 200
    });
    for n in [n1, n2] {
        let (_, me) = whoami(n);
        assert_eq!(
            (&me["id"], &me["scopes"]),
            (&json!(id), &json!(["keys:read"]))
        );
    }
    // Its scopes came along, not a wider grant.
    let key = json!({ "name": fresh("not-allowed"), "type": "ml-dsa-44" });
    let (status, refused) = n1.call(&token, "POST", "/v1/keys", Some(&key));
    assert_eq!((status, code(&refused)), (403, "forbidden"), "{refused}");

    no_content(n2, "DELETE", &format!("/v1/auth/tokens/{id}"), None);
    assert_eq!(whoami(n2).0, 401, "read-your-writes");
    on_every_node(cluster, "the token refused everywhere", |n| {
        let (status, body) = whoami(n);
        status == 401 && code(&body) == "unauthorized"
    });
}

/// A node's writes are acknowledged only once the cluster accepted them: after `kill -9` of that
/// node right after its last 2xx, the two others serve all of them, and so does the node itself
/// once restarted.
#[test]
fn writes_acknowledged_by_a_node_killed_right_after_are_on_the_others() {
    let _guard = serial();
    let mut cluster = Cluster::start(3);
    let (name, path) = (fresh("survivor"), format!("apps/{}/kill", fresh("crash")));
    let value = json!({ "api_key": hex::encode(random::array::<16>()) });
    let request = json!({ "scopes": ["keys:read"], "ttl_seconds": 3600 });
    let (status, token) = cluster.nodes[2].post("/v1/auth/tokens", &request);
    assert_eq!(status, 201, "{token}");
    let key = create_key(&cluster.nodes[2], &name, "ml-dsa-44");
    let (status, written) = put_secret(&cluster.nodes[2], &path, value.clone(), None);
    assert_eq!(status, 200, "{written}");
    cluster.nodes[2].kill();

    let token = token["token"].as_str().unwrap();
    let key_path = format!("/v1/keys/{name}");
    for check in 0..2 {
        on_every_node(&cluster, "every acknowledged write served", |n| {
            let (status, read) = n.get(&secret(&path));
            status == 200
                && (&read["data"], &read["created_at"]) == (&value, &written["created_at"])
                && n.get(&key_path) == (200, key.clone())
                && n.call(token, "GET", "/v1/auth/tokens/self", None).0 == 200
        });
        if check == 0 {
            cluster.nodes[2].start();
            cluster.wait_ready(2);
        }
    }
}

/// A node cut off from the others refuses every kind of write with `503 no_quorum` (and none
/// of them is applied later), while the two others keep writing; once healed it serves what
/// they wrote meanwhile and writes again.
#[test]
fn a_cut_off_node_refuses_writes_and_catches_up_once_healed() {
    let _guard = serial();
    let (cluster, relay) = start_behind_relay(3);
    relay.cut_off(2);
    cluster.wait(SPREAD, "node 3 to lose its peers", || {
        let s = cluster.nodes[2].status();
        s["peers"]
            .as_array()
            .is_some_and(|p| p.iter().all(|p| p["connected"] == false))
    });

    let majority = format!("apps/{}/during", fresh("partition"));
    let value = json!({ "written": "by the majority" });
    let written = write(&cluster.nodes[0], &majority, value.clone(), None);
    // With node 3 away, node 1's write needed node 2's vote, so node 2 holds the operation
    // (decided or not) once node 1 answered: a consistent read there waits until it applied it.
    let (status, seen) = cluster.nodes[1].get(&format!("{}?consistent=true", secret(&majority)));
    assert_eq!((status, &seen["data"]), (200, &value), "{seen}");

    let refused_path = format!("apps/{}/refused", fresh("partition"));
    let refused_key = fresh("refused");
    let cut = &cluster.nodes[2];
    let attempts = [
        ("PUT", secret(&refused_path), json!({ "data": { "x": 1 } })),
        (
            "POST",
            "/v1/keys".into(),
            json!({ "name": refused_key, "type": "ml-dsa-44" }),
        ),
        (
            "POST",
            "/v1/auth/tokens".into(),
            json!({ "scopes": ["keys:read"] }),
        ),
    ];
    for (method, route, body) in &attempts {
        let answer = cut.try_call(TOKEN, method, route, Some(body));
        let Some((status, body)) = answer else {
            panic!(
                "{method} {route}: no answer from the cut-off node\n{}",
                cut.log_tail()
            );
        };
        assert_eq!(
            (status, code(&body)),
            (503, "no_quorum"),
            "{method} {route}: {body}"
        );
    }

    relay.heal();
    cluster.wait_ready(2);
    cluster.wait(SPREAD, "node 3 to serve the majority's write", || {
        cluster.nodes[2].get(&secret(&majority)).0 == 200
    });
    let (status, read) = cluster.nodes[2].get(&secret(&majority));
    assert_eq!(status, 200);
    assert_eq!(
        (&read["data"], &read["created_at"]),
        (&value, &written["created_at"])
    );
    write(
        &cluster.nodes[2],
        &majority,
        json!({ "written": "after" }),
        Some(1),
    );
    converged(&cluster, &metadata(&majority));
    // A refusal means nothing was written: not then, not later.
    for n in &cluster.nodes {
        assert_eq!(code(&n.get(&secret(&refused_path)).1), "secret_not_found");
        assert_eq!(
            code(&n.get(&format!("/v1/keys/{refused_key}")).1),
            "key_not_found"
        );
    }
}
