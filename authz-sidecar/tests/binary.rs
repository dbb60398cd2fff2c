//! The real binary on a free port with a temp data dir: it starts with no
//! config file, serves checks, keeps its keys across a restart, and prints a
//! generated admin token only on the first start.

mod common;

use common::process::start_sidecar;
use common::{free_port, http};
use serde_json::json;

#[test]
fn binary_serves_checks_and_keeps_keys_across_restarts() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let addr = free_port();
    let first = start_sidecar(&data, addr, &[]);
    let check = json!({
        "principal": {"id": "agent-7", "roles": ["payments-agent"], "attributes": {"transfer_limit": 5000, "currency": "EUR"}},
        "resource": {"kind": "Payment", "id": "p-1", "attributes": {"amount": 10, "currency": "EUR"}},
        "action": "payments:initiate", "context": {}
    });
    let (s, a) = http(addr, "POST", "/v1/authorization/check", None, Some(&check)).unwrap();
    assert_eq!((s, a["allowed"].as_bool()), (200, Some(true)), "{a}");
    let token = a["decision_token"].as_str().unwrap().to_string();
    let (_, jwks) = http(addr, "GET", "/.well-known/jwks.json", None, None).unwrap();
    let first_log = first.log_text();
    drop(first);
    assert!(first_log.contains("generated admin token"), "{first_log}");
    assert!(!first_log.contains("material"));

    let addr = free_port();
    let second = start_sidecar(&data, addr, &[]);
    let (_, jwks_again) = http(addr, "GET", "/.well-known/jwks.json", None, None).unwrap();
    assert_eq!(jwks, jwks_again, "keys survive a restart");
    let (s, v) = http(
        addr,
        "POST",
        "/v1/tokens/verify",
        None,
        Some(&json!({"token": token})),
    )
    .unwrap();
    assert_eq!((s, v["valid"].as_bool()), (200, Some(true)), "{v}");
    let second_log = second.log_text();
    assert!(
        !second_log.contains("generated admin token"),
        "the token is printed once"
    );
}
