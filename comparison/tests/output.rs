//! `cretoai-compare` run as a process: it writes the markdown, JSON and SVG it promises, with a
//! row for every variant and a well-formed chart.

use std::process::Command;

#[test]
fn writes_markdown_json_and_a_well_formed_chart() {
    let dir = std::env::temp_dir().join(format!("cretoai-compare-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let out = Command::new(env!("CARGO_BIN_EXE_cretoai-compare"))
        .args(["--iterations", "3", "--keygens", "1", "--out-dir"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("authz-comparison.json")).unwrap())
            .unwrap();
    let results = json["results"].as_array().unwrap();
    assert_eq!(results.len(), 14);
    assert_eq!(json["iterations"], 3);
    for r in results {
        assert!(r["sign_us"]["p50"].as_f64().unwrap() > 0.0, "{r}");
        assert!(r["token_bytes"].as_u64().unwrap() > 0, "{r}");
    }
    let md = std::fs::read_to_string(dir.join("authz-comparison.md")).unwrap();
    assert_eq!(
        md.lines()
            .filter(|l| l.starts_with("| ML-DSA-65 |"))
            .count(),
        1
    );
    let svg = std::fs::read_to_string(dir.join("authz-comparison.svg")).unwrap();
    cretoai_chart::well_formed(&svg).unwrap();
    assert!(svg.contains("ML-DSA-87 (aws-lc-rs)"));
    let _ = std::fs::remove_dir_all(&dir);
}
