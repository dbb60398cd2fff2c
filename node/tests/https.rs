//! HTTPS on the real binary over real sockets: the post-quantum group is offered and
//! reported, classical clients still connect and are reported as classical, plain HTTP to a
//! TLS port fails cleanly, mutual TLS refuses missing and wrong client certificates, a
//! non-loopback address is HTTPS by default, generated certificates survive a restart, the
//! `health` subcommand and the event WebSocket work over TLS.

mod https {
    pub mod harness;
}

use cretoai_tls::client::ClientTls;
use cretoai_tls::KeyExchangeGroup::{Secp256r1, X25519MlKem768, X25519};
use https::harness::{client, connection, free_port, get, node_command, Node, ROOT};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

#[test]
fn post_quantum_and_classical_clients_are_reported_by_group() {
    let dir = tempfile::tempdir().unwrap();
    let node = Node::start(&dir.path().join("n"), "127.0.0.1", free_port(), &["--tls"]);
    assert!(
        node.log().contains(&node.ca().display().to_string()),
        "the start log names the CA"
    );

    let pq = connection(&client(&node.ca(), &[X25519MlKem768]), &node.https());
    assert_eq!(pq["transport"], "https");
    assert_eq!(pq["tls_version"], "TLSv1.3");
    assert_eq!(pq["key_exchange_group"], "X25519MLKEM768");
    assert_eq!(pq["post_quantum"], true);
    assert_eq!(pq["client_certificate"], false);
    assert!(
        pq["cipher_suite"].as_str().unwrap().starts_with("TLS13_"),
        "{pq}"
    );

    let classical = connection(&client(&node.ca(), &[X25519]), &node.https());
    assert_eq!(classical["key_exchange_group"], "X25519");
    assert_eq!(classical["post_quantum"], false);
    let p256 = connection(&client(&node.ca(), &[Secp256r1]), &node.https());
    assert_eq!(p256["key_exchange_group"], "secp256r1");
    assert_eq!(p256["post_quantum"], false);

    // A client offering everything gets the post-quantum group: the server prefers it.
    let default = connection(&client(&node.ca(), &[]), &node.https());
    assert_eq!(default["key_exchange_group"], "X25519MLKEM768");

    // The route needs a token like every /v1 route.
    let anonymous = client(&node.ca(), &[])
        .get(format!("{}/v1/sys/connection", node.https()))
        .call()
        .unwrap();
    assert_eq!(anonymous.status().as_u16(), 401);

    let (status, metrics) = get(
        &client(&node.ca(), &[]),
        &format!("{}/metrics", node.https()),
    )
    .expect("metrics answer");
    assert_eq!(status, 200);
    let count = |group: &str| {
        metrics
            .lines()
            .find_map(|l| {
                l.strip_prefix(&format!(
                    "cretoai_tls_handshakes_total{{group=\"{group}\"}} "
                ))
            })
            .and_then(|n| n.parse::<u64>().ok())
            .unwrap_or(0)
    };
    assert!(count("X25519MLKEM768") >= 3, "{metrics}");
    assert!(count("X25519") >= 1, "{metrics}");
    assert!(count("secp256r1") >= 1, "{metrics}");
}

#[test]
fn plain_http_sent_to_the_tls_port_fails_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let mut node = Node::start(&dir.path().join("n"), "127.0.0.1", free_port(), &["--tls"]);
    // Settle the start-up lines before counting.
    let (status, _) = get(
        &client(&node.ca(), &[]),
        &format!("{}/health", node.https()),
    )
    .unwrap();
    assert_eq!(status, 200);
    let before = node.log().lines().count();

    let mut tcp = TcpStream::connect(("127.0.0.1", node.port)).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    tcp.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut answer = Vec::new();
    let _ = tcp.read_to_end(&mut answer);
    assert!(
        !answer.starts_with(b"HTTP/"),
        "a TLS port does not answer plain HTTP"
    );
    // The plain agent gets an error, not a response.
    assert!(get(
        &cretoai_tls::agent::plain(),
        &format!("{}/health", node.http())
    )
    .is_none());

    // Still serving; whatever was logged for the two attempts is at most one line each and
    // no panic.
    let (status, _) = get(
        &client(&node.ca(), &[]),
        &format!("{}/health", node.https()),
    )
    .unwrap();
    assert_eq!(status, 200);
    assert!(node.alive());
    let log = node.log();
    let new: Vec<&str> = log
        .lines()
        .skip(before)
        .filter(|l| !l.contains("\"request\"") && !l.contains(" request "))
        .collect();
    assert!(
        new.len() <= 2,
        "too many log lines for two plain attempts: {new:#?}"
    );
    assert!(!log.contains("panicked"), "{log}");
}

/// A CA and a client certificate it issued, as PEM files in `dir`.
fn client_ca(
    dir: &Path,
    name: &str,
) -> (std::path::PathBuf, std::path::PathBuf, std::path::PathBuf) {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    };
    let ca_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.distinguished_name
        .push(DnType::CommonName, format!("{name} client CA"));
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let mut leaf = CertificateParams::new(Vec::<String>::new()).unwrap();
    leaf.distinguished_name
        .push(DnType::CommonName, format!("{name} client"));
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    let cert = leaf.signed_by(&key, &Issuer::new(ca, &ca_key)).unwrap();
    let paths = (
        dir.join(format!("{name}-ca.pem")),
        dir.join(format!("{name}-client.pem")),
        dir.join(format!("{name}-client.key")),
    );
    std::fs::write(&paths.0, ca_cert.pem()).unwrap();
    std::fs::write(&paths.1, cert.pem()).unwrap();
    std::fs::write(&paths.2, key.serialize_pem()).unwrap();
    paths
}

#[test]
fn mutual_tls_refuses_missing_and_wrong_client_certificates() {
    let dir = tempfile::tempdir().unwrap();
    let (good_ca, good_cert, good_key) = client_ca(dir.path(), "good");
    let (_, wrong_cert, wrong_key) = client_ca(dir.path(), "wrong");
    let node = Node::start(
        &dir.path().join("n"),
        "127.0.0.1",
        free_port(),
        &["--tls-client-ca", good_ca.to_str().unwrap()],
    );
    let url = format!("{}/v1/sys/connection", node.https());
    let trusting = || ClientTls::trusting(&node.ca()).unwrap();

    assert!(
        get(&cretoai_tls::agent::https(&trusting()), &url).is_none(),
        "no client certificate"
    );
    let wrong = trusting().identity(&wrong_cert, &wrong_key).unwrap();
    assert!(
        get(&cretoai_tls::agent::https(&wrong), &url).is_none(),
        "a certificate from another CA"
    );

    let good = cretoai_tls::agent::https(&trusting().identity(&good_cert, &good_key).unwrap());
    let seen = connection(&good, &node.https());
    assert_eq!(seen["client_certificate"], true);
    assert_eq!(seen["key_exchange_group"], "X25519MLKEM768");
    // Tokens still apply under mutual TLS.
    let anonymous = good.get(&url).call().unwrap();
    assert_eq!(anonymous.status().as_u16(), 401);
}

#[test]
fn an_unspecified_address_serves_https_unless_insecure_http_is_given() {
    let dir = tempfile::tempdir().unwrap();
    {
        let node = Node::start(&dir.path().join("secure"), "0.0.0.0", free_port(), &[]);
        assert!(node.ca().exists(), "generated CA in <data-dir>/tls/ca.pem");
        let agent = client(&node.ca(), &[]);
        let seen = connection(&agent, &node.https());
        assert_eq!(seen["key_exchange_group"], "X25519MLKEM768");
        // The generated certificate names localhost too.
        let (status, _) = get(&agent, &format!("https://localhost:{}/health", node.port)).unwrap();
        assert_eq!(status, 200);
        assert!(get(
            &cretoai_tls::agent::plain(),
            &format!("{}/health", node.http())
        )
        .is_none());
    }
    let node = Node::start(
        &dir.path().join("insecure"),
        "0.0.0.0",
        free_port(),
        &["--insecure-http"],
    );
    let seen = connection(&cretoai_tls::agent::plain(), &node.http());
    assert_eq!(seen["transport"], "http");
    assert_eq!(seen["post_quantum"], false);
    assert!(!node.ca().exists(), "no certificates for plain HTTP");
    let log = node.log();
    assert!(
        log.contains("WARN") && log.contains("--insecure-http"),
        "{log}"
    );
}

#[test]
fn loopback_without_tls_settings_serves_plain_http_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let node = Node::start(&dir.path().join("n"), "127.0.0.1", free_port(), &[]);
    let seen = connection(&cretoai_tls::agent::plain(), &node.http());
    assert_eq!(seen["transport"], "http");
    assert!(
        node.log().contains("plain HTTP on loopback"),
        "{}",
        node.log()
    );
}

#[test]
fn generated_certificates_are_reused_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("n");
    let port = free_port();
    let (ca, cert) = {
        let node = Node::start(&data, "127.0.0.1", port, &["--tls"]);
        let ca = std::fs::read(node.ca()).unwrap();
        let cert = std::fs::read(data.join("tls/server.pem")).unwrap();
        assert_eq!(
            connection(&client(&node.ca(), &[]), &node.https())["transport"],
            "https"
        );
        (ca, cert)
    };
    let trusted_before = dir.path().join("ca-before.pem");
    std::fs::write(&trusted_before, &ca).unwrap();
    let node = Node::start(&data, "127.0.0.1", port, &["--tls"]);
    assert_eq!(std::fs::read(node.ca()).unwrap(), ca, "same CA");
    assert_eq!(
        std::fs::read(data.join("tls/server.pem")).unwrap(),
        cert,
        "same server certificate"
    );
    let seen = connection(&client(&trusted_before, &[]), &node.https());
    assert_eq!(seen["post_quantum"], true);
}

#[test]
fn the_health_subcommand_checks_the_https_listener() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("n");
    let port = free_port();
    let health = |data: &Path| {
        node_command()
            .arg("--listen")
            .arg(format!("0.0.0.0:{port}"))
            .arg("--data-dir")
            .arg(data)
            .arg("health")
            .output()
            .unwrap()
    };
    {
        let _node = Node::start(&data, "0.0.0.0", port, &[]);
        let out = health(&data);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let out = health(&data);
    assert!(!out.status.success(), "no node, no health");
}

#[test]
fn the_event_websocket_upgrades_over_wss() {
    use base64::Engine;
    let dir = tempfile::tempdir().unwrap();
    let node = Node::start(&dir.path().join("n"), "127.0.0.1", free_port(), &["--tls"]);
    let config = ClientTls::trusting(&node.ca()).unwrap().config().unwrap();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let conn = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
    let tcp = TcpStream::connect(("127.0.0.1", node.port)).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    let bearer = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(ROOT);
    let request = format!(
        "GET /v1/events HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
         Sec-WebSocket-Protocol: cretoai.v1, cretoai.bearer.{bearer}\r\n\r\n"
    );
    tls.write_all(request.as_bytes()).unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        tls.read_exact(&mut byte).unwrap();
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head);
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains("sec-websocket-protocol: cretoai.v1"),
        "{head}"
    );
    assert_eq!(
        tls.conn.negotiated_key_exchange_group().map(|g| g.name()),
        Some(rustls::NamedGroup::X25519MLKEM768)
    );
}
