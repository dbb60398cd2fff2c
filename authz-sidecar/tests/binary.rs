//! The real binary on a free port with a temp data dir: it starts with no
//! config file, serves checks, keeps its keys and its mode across a restart,
//! prints a generated admin token only on the first start, and refuses to
//! start over a corrupt mode file.

mod common;

use common::process::{run_sidecar_to_exit, start_sidecar};
use common::{free_port, http, ROOT};
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

#[test]
fn a_mode_switch_survives_a_kill_and_wins_over_the_configured_mode() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    // The configured mode is set explicitly, as docker-compose.yml does, to
    // show the persisted switch wins over it.
    let env = [
        ("CRETOAI_ROOT_TOKEN", ROOT),
        ("CRETOAI_AUTHZ_MODE", "classical"),
    ];
    let addr = free_port();
    let first = start_sidecar(&data, addr, &env);
    let (s, r) = http(addr, "GET", "/ready", None, None).unwrap();
    assert_eq!((s, r["status"].as_str()), (200, Some("ready")), "{r}");
    assert_eq!(r["mode"], "classical");
    let (s, m) = http(
        addr,
        "PUT",
        "/v1/admin/mode",
        Some(ROOT),
        Some(&json!({"mode": "pqc"})),
    )
    .unwrap();
    assert_eq!((s, m["mode"].as_str()), (200, Some("pqc")), "{m}");
    drop(first); // SIGKILL: nothing gets a chance to flush on the way out.

    let addr = free_port();
    let _second = start_sidecar(&data, addr, &env);
    let (s, m) = http(addr, "GET", "/v1/mode", None, None).unwrap();
    assert_eq!(s, 200);
    assert_eq!(
        (m["mode"].as_str(), m["signing_alg"].as_str()),
        (Some("pqc"), Some("ML-DSA-65")),
        "{m}"
    );
    let (_, r) = http(addr, "GET", "/ready", None, None).unwrap();
    assert_eq!(r["mode"], "pqc", "{r}");
}

#[test]
fn a_corrupt_mode_file_stops_the_start_with_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let mode_file = data.join("mode");
    std::fs::write(&mode_file, "quantum\n").unwrap();
    let (status, log) = run_sidecar_to_exit(&data, free_port(), &[]);
    assert!(!status.success(), "{status}: {log}");
    assert_eq!(status.code(), Some(1), "an error exit, not a panic: {log}");
    assert!(!log.contains("panicked"), "{log}");
    assert!(log.contains("mode store error"), "{log}");
    assert!(log.contains(&mode_file.display().to_string()), "{log}");
    assert!(log.contains(r#""quantum\n""#), "{log}");
    assert!(
        !data.join("signing-keys.sealed").exists(),
        "the mode is checked before any key is generated"
    );
}
