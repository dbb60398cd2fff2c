//! The `cretoai-bench` binary's report command line, run as a process. (The report itself runs
//! in CI as `cretoai-bench report --quick --check`, scripts/test.sh; its pieces have unit tests.)

use std::process::Command;

fn bench() -> Command {
    Command::new(env!("CARGO_BIN_EXE_cretoai-bench"))
}

#[test]
fn report_refuses_a_missing_binary_before_running_anything() {
    let out = bench()
        .args(["report", "--quick", "--check", "--node-bin"])
        .arg("/nonexistent/cretoai-node")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("/nonexistent/cretoai-node not found"),
        "stderr: {err}"
    );
    // Nothing was measured: no step started.
    assert!(!err.contains("library anchors"), "stderr: {err}");
}

#[test]
fn report_and_cluster_offer_the_documented_flags() {
    let help = |sub: &str| {
        let out = bench().args([sub, "--help"]).output().unwrap();
        assert!(out.status.success());
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let report = help("report");
    for flag in [
        "--quick",
        "--check",
        "--out",
        "--node-bin",
        "--compare-bin",
        "--authz-bench-bin",
        "--openssl",
        "--no-criterion",
        "--no-headline",
    ] {
        assert!(report.contains(flag), "report --help lacks {flag}");
    }
    assert!(help("cluster").contains("--usage-every"));
}
