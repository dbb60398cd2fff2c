//! Real QUIC handshakes on 127.0.0.1: the negotiated key-exchange group and pinned mutual
//! authentication (wrong key refused both ways, missing client certificate refused).

use std::net::SocketAddr;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use cretoai_network::tls::{self, POST_QUANTUM_GROUP, SERVER_NAME};
use cretoai_network::{NodeIdentity, PinSet};
use rustls::NamedGroup;

fn transport() -> Arc<quinn::TransportConfig> {
    Arc::new(quinn::TransportConfig::default())
}

fn loopback() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

/// A server endpoint for `identity` that accepts the node ids in `pins`.
fn server(identity: &NodeIdentity, pins: PinSet) -> quinn::Endpoint {
    let config = tls::server_config(identity, Arc::new(RwLock::new(pins)), transport()).unwrap();
    quinn::Endpoint::server(config, loopback()).unwrap()
}

fn client_endpoint() -> quinn::Endpoint {
    quinn::Endpoint::client(loopback()).unwrap()
}

/// Runs one handshake; returns (client side, server side) outcomes. A side that failed gives
/// `Err` with the reason; a client whose handshake completed but was then closed by the server
/// (TLS 1.3 client auth is checked after the client's Finished) also counts as `Err`.
async fn handshake(
    server: &quinn::Endpoint,
    client_config: quinn::ClientConfig,
) -> (
    Result<quinn::Connection, String>,
    Result<quinn::Connection, String>,
) {
    let addr = server.local_addr().unwrap();
    let client = client_endpoint();
    let server_side = async {
        let incoming = server.accept().await.expect("endpoint open");
        incoming.await.map_err(|e| e.to_string())
    };
    let client_side = async {
        let conn = client
            .connect_with(client_config, addr, SERVER_NAME)
            .unwrap()
            .await
            .map_err(|e| e.to_string())?;
        // Give the server time to judge our certificate; a refusal closes the connection.
        match tokio::time::timeout(Duration::from_millis(500), conn.closed()).await {
            Ok(reason) => Err(reason.to_string()),
            Err(_) => Ok(conn),
        }
    };
    let (c, s) = tokio::time::timeout(Duration::from_secs(10), async {
        tokio::join!(client_side, server_side)
    })
    .await
    .expect("handshake finishes");
    (c, s)
}

#[tokio::test]
async fn pinned_peers_connect_with_x25519mlkem768() {
    let a = NodeIdentity::generate().unwrap();
    let b = NodeIdentity::generate().unwrap();
    let server = server(&b, [a.node_id()].into_iter().collect());
    let config = tls::client_config(&a, b.node_id(), transport()).unwrap();

    let (client_conn, server_conn) = handshake(&server, config).await;
    let client_conn = client_conn.expect("client connected");
    let server_conn = server_conn.expect("server accepted");

    assert_eq!(
        tls::negotiated_group(&client_conn),
        Some(POST_QUANTUM_GROUP)
    );
    assert_eq!(
        tls::negotiated_group(&server_conn),
        Some(POST_QUANTUM_GROUP)
    );
    assert_eq!(tls::group_name(POST_QUANTUM_GROUP), "X25519MLKEM768");
    assert_eq!(tls::peer_node_id(&client_conn), Some(b.node_id()));
    assert_eq!(tls::peer_node_id(&server_conn), Some(a.node_id()));

    // Both ML-DSA-65 certificates and CertificateVerify signatures crossed the wire: the
    // handshake volume reflects it (quoted in docs/network.md).
    let stats = client_conn.stats();
    let (sent, received) = (stats.udp_tx.bytes, stats.udp_rx.bytes);
    eprintln!("handshake bytes: client sent {sent}, received {received}");
    let signature = 3309;
    let certificate = a.certificate().len() as u64;
    assert!(
        sent > certificate + signature,
        "client flight carries cert + signature"
    );
    assert!(
        received > certificate + signature,
        "server flight carries cert + signature"
    );

    // The authenticated connection carries data.
    let (mut send, mut recv) = client_conn.open_bi().await.unwrap();
    send.write_all(b"ping").await.unwrap();
    send.finish().unwrap();
    let (mut s_send, mut s_recv) = server_conn.accept_bi().await.unwrap();
    assert_eq!(s_recv.read_to_end(16).await.unwrap(), b"ping");
    s_send.write_all(b"pong").await.unwrap();
    s_send.finish().unwrap();
    assert_eq!(recv.read_to_end(16).await.unwrap(), b"pong");
}

#[tokio::test]
async fn group_reported_is_the_one_negotiated() {
    // A client that offers only classical X25519 gets X25519: the reported group is read from
    // the TLS session, not assumed.
    let a = NodeIdentity::generate().unwrap();
    let b = NodeIdentity::generate().unwrap();
    let server = server(&b, [a.node_id()].into_iter().collect());
    let mut rustls_config =
        tls::rustls_client_config(Some(&a), [b.node_id()].into_iter().collect()).unwrap();
    let mut provider = (*tls::provider()).clone();
    provider
        .kx_groups
        .retain(|group| group.name() == NamedGroup::X25519);
    let classical = rustls::ClientConfig::builder_with_provider(Arc::new(provider))
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(cretoai_network::PinnedServerVerifier::new(
            [b.node_id()].into_iter().collect(),
        ));
    let mut classical =
        classical.with_client_cert_resolver(rustls_config.client_auth_cert_resolver.clone());
    classical.alpn_protocols = std::mem::take(&mut rustls_config.alpn_protocols);
    let config = tls::quic_client_config(classical, transport()).unwrap();

    let (client_conn, server_conn) = handshake(&server, config).await;
    assert_eq!(
        tls::negotiated_group(&client_conn.unwrap()),
        Some(NamedGroup::X25519)
    );
    assert_eq!(
        tls::negotiated_group(&server_conn.unwrap()),
        Some(NamedGroup::X25519)
    );
}

#[tokio::test]
async fn server_presenting_another_key_is_refused() {
    let a = NodeIdentity::generate().unwrap();
    let expected = NodeIdentity::generate().unwrap();
    let impostor = NodeIdentity::generate().unwrap();
    // The impostor would even accept `a`; `a` must still refuse it.
    let server = server(&impostor, [a.node_id()].into_iter().collect());
    let config = tls::client_config(&a, expected.node_id(), transport()).unwrap();

    let (client_conn, server_conn) = handshake(&server, config).await;
    let client_err = client_conn.expect_err("client must refuse the impostor");
    assert!(
        client_err.contains("certificate"),
        "client error names the certificate: {client_err}"
    );
    assert!(
        server_conn.is_err(),
        "no connection established on the server"
    );
}

#[tokio::test]
async fn client_presenting_an_unpinned_key_is_refused() {
    let server_id = NodeIdentity::generate().unwrap();
    let friend = NodeIdentity::generate().unwrap();
    let stranger = NodeIdentity::generate().unwrap();
    let server = server(&server_id, [friend.node_id()].into_iter().collect());
    // The stranger knows and pins the server correctly; only its own key is unknown.
    let config = tls::client_config(&stranger, server_id.node_id(), transport()).unwrap();

    let (client_conn, server_conn) = handshake(&server, config).await;
    let server_err = server_conn.expect_err("server must refuse the stranger");
    assert!(
        server_err.contains("certificate"),
        "server error names the certificate: {server_err}"
    );
    assert!(client_conn.is_err(), "client connection is closed");
}

#[tokio::test]
async fn client_without_certificate_is_refused() {
    let server_id = NodeIdentity::generate().unwrap();
    let friend = NodeIdentity::generate().unwrap();
    let server = server(&server_id, [friend.node_id()].into_iter().collect());
    let anonymous =
        tls::rustls_client_config(None, [server_id.node_id()].into_iter().collect()).unwrap();
    let config = tls::quic_client_config(anonymous, transport()).unwrap();

    let (client_conn, server_conn) = handshake(&server, config).await;
    let server_err = server_conn.expect_err("server must refuse a client without certificate");
    assert!(
        server_err.contains("certificate") || server_err.contains("Certificate"),
        "server error names the missing certificate: {server_err}"
    );
    assert!(client_conn.is_err(), "client connection is closed");
}
