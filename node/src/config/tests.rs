//! The layers of the configuration and the reference table generated from it.

use super::*;

fn cli(args: &[&str]) -> Cli {
    let mut all = vec!["cretoai-node"];
    all.extend_from_slice(args);
    Cli::try_parse_from(all).expect("valid flags")
}

#[test]
fn defaults_match_the_documented_values() {
    let c = Config::with_data_dir("./data");
    assert_eq!(c.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(c.data_dir, PathBuf::from("./data"));
    assert_eq!(c.max_body_bytes, 1 << 20);
}

#[test]
fn flags_override_the_toml_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("node.toml");
    std::fs::write(
        &path,
        "listen = \"0.0.0.0:9000\"\nmax_body_bytes = 2048\nlog_level = \"debug\"\n",
    )
    .unwrap();
    let c = Config::load(cli(&[
        "--config",
        path.to_str().unwrap(),
        "--max-body-bytes",
        "4096",
    ]))
    .unwrap();
    assert_eq!(c.listen.to_string(), "0.0.0.0:9000");
    assert_eq!(c.max_body_bytes, 4096);
    assert_eq!(c.log_level, "debug");
}

#[test]
fn unknown_toml_keys_and_zero_limits_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("node.toml");
    std::fs::write(&path, "listn = \"0.0.0.0:9000\"\n").unwrap();
    assert!(Config::load(cli(&["--config", path.to_str().unwrap()])).is_err());
    assert!(Config::load(cli(&["--max-body-bytes", "0"])).is_err());
}

#[test]
fn tls_settings_come_from_the_tls_table_and_flags() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("node.toml");
    std::fs::write(
        &path,
        "listen = \"0.0.0.0:9000\"\n[tls]\nsan = [\"node1\"]\ncert = \"a.pem\"\nkey = \"a.key\"\n",
    )
    .unwrap();
    let c = Config::load(cli(&[
        "--config",
        path.to_str().unwrap(),
        "--tls-cert",
        "b.pem",
    ]))
    .unwrap();
    assert_eq!(c.tls.cert, Some(PathBuf::from("b.pem")));
    assert_eq!(c.tls.key, Some(PathBuf::from("a.key")));
    assert_eq!(c.tls.san, vec!["node1".to_string()]);
    assert!(Config::load(cli(&["--tls-cert", "only-cert.pem"])).is_err());
    assert!(Config::load(cli(&["--tls", "--insecure-http"])).is_err());
}

#[test]
fn secrets_are_redacted_when_printed() {
    let mut c = Config::with_data_dir("d");
    c.root_token = Some(Secret::new("super-secret-token-value".into()));
    let printed = format!("{c:?}");
    assert!(!printed.contains("super-secret"));
    assert!(printed.contains("<redacted>"));
}

/// A value of the right type for a setting, as TOML, by its value name.
fn sample(setting: &Setting) -> String {
    let one = match setting.value_name.as_deref() {
        None => return "true".into(),
        Some("ADDR") => "\"127.0.0.1:9999\"".to_string(),
        Some("ID@ADDR") => format!("\"{}@127.0.0.1:7001\"", "ab".repeat(32)),
        Some("FORMAT") => "\"json\"".into(),
        Some("URL") => "\"https://sidecar.example:8090\"".into(),
        Some("N" | "BYTES" | "SECONDS" | "MS" | "MIB") => "7".into(),
        Some(_) => "\"some-text\"".into(),
    };
    if setting.list {
        format!("[{one}]")
    } else {
        one
    }
}

#[test]
fn every_documented_toml_key_parses_and_sets_its_value() {
    let defaults = format!("{:?}", Cli::default());
    let settings = reference_settings();
    assert!(settings.len() >= 25, "{} settings", settings.len());
    for setting in settings {
        let Some((table, key)) = &setting.toml else {
            continue;
        };
        let line = format!("{key} = {}\n", sample(&setting));
        let text = match table {
            Some(table) => format!("[{table}]\n{line}"),
            None => line,
        };
        let parsed: Cli = toml::from_str(&text)
            .unwrap_or_else(|e| panic!("documented key {key} does not parse: {e}\n{text}"));
        assert_ne!(
            format!("{parsed:?}"),
            defaults,
            "documented key {key} sets nothing"
        );
    }
}

#[test]
fn the_settings_reference_in_the_docs_is_the_declarations() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/api.md");
    let doc = std::fs::read_to_string(&path).unwrap();
    let (begin, end) = ("<!-- settings:begin -->\n", "<!-- settings:end -->");
    let start = doc.find(begin).expect("begin marker") + begin.len();
    let stop = doc.find(end).expect("end marker");
    let table = reference_markdown();
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&path, format!("{}{table}{}", &doc[..start], &doc[stop..])).unwrap();
        return;
    }
    assert_eq!(
        doc[start..stop],
        table,
        "docs/api.md's settings table is stale: rerun with UPDATE_DOCS=1"
    );
}

#[test]
fn the_database_cache_is_a_setting() {
    assert_eq!(Config::load(cli(&[])).unwrap().db_cache_mib, 16);
    assert_eq!(
        Config::load(cli(&["--db-cache-mib", "64"]))
            .unwrap()
            .db_cache_mib,
        64
    );
    assert!(Config::load(cli(&["--db-cache-mib", "0"])).is_err());
}

#[test]
fn peers_in_the_toml_file_take_the_flag_form() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("node.toml");
    let id = "cd".repeat(32);
    std::fs::write(&path, format!("peers = [\"{id}@127.0.0.1:7002\"]\n")).unwrap();
    let c = Config::load(cli(&["--config", path.to_str().unwrap()])).unwrap();
    assert_eq!(c.peers.len(), 1);
    assert_eq!(c.peers[0].to_string(), format!("{id}@127.0.0.1:7002"));
    std::fs::write(&path, "peers = [\"not-a-peer\"]\n").unwrap();
    assert!(Config::load(cli(&["--config", path.to_str().unwrap()])).is_err());
}

#[test]
fn defaults_are_taken_out_of_the_help_text_wherever_they_stand() {
    let listen = reference_settings()
        .into_iter()
        .find(|s| s.env == "CRETOAI_LISTEN")
        .unwrap();
    assert_eq!(listen.default, "127.0.0.1:8080");
    assert!(listen
        .help
        .starts_with("Address and port to serve on. Loopback"));
    assert!(reference_markdown().contains("| &lt;data-dir&gt;/node.key |"));
}
