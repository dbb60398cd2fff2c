//! Malformed frames against a real `cretoai-node` process over a real post-quantum QUIC
//! connection. The test dials as a pinned peer (an identity of its own, listed with `--peer`),
//! sends garbage, an oversize length prefix and an unknown wire version on unidirectional and
//! request streams, and checks that each stream is closed with the malformed-frame error while
//! the node stays healthy and keeps serving fresh streams and connections.
//! (`network/tests/cluster.rs` covers the same at crate level; this is the shipped binary.)

#[path = "cluster/harness.rs"]
mod harness;

use cretoai_network::frame::{read_frame, HEADER_LEN};
use cretoai_network::{
    tls, Frame, FrameKind, NodeId, NodeIdentity, DEFAULT_MAX_FRAME_LEN, STREAM_MALFORMED_FRAME,
};
use harness::NodeProc;
use quinn::{ReadError, ReadToEndError, VarInt};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::timeout;

const WAIT: Duration = Duration::from_secs(15);
/// The node's `HELLO` request kind (docs/cluster.md, "Wire messages").
const HELLO: FrameKind = FrameKind(1);

/// What the node must refuse at the transport layer, each on its own stream.
fn malformed_inputs() -> Vec<(&'static str, Vec<u8>)> {
    let over = u32::try_from(DEFAULT_MAX_FRAME_LEN + 1)
        .unwrap()
        .to_be_bytes();
    let mut oversize = vec![1, HELLO.0];
    oversize.extend_from_slice(&over);
    vec![
        ("garbage", b"GET / HTTP/1.1\r\nHost: x\r\n\r\n".to_vec()),
        ("length above the maximum", oversize),
        ("4 GiB length", vec![1, HELLO.0, 0xff, 0xff, 0xff, 0xff]),
        ("unknown version", vec![2, HELLO.0, 0, 0, 0, 1, 0]),
    ]
}

async fn connect(
    endpoint: &quinn::Endpoint,
    me: &NodeIdentity,
    node: NodeId,
    addr: SocketAddr,
) -> quinn::Connection {
    let config = tls::client_config(me, node, Arc::new(quinn::TransportConfig::default())).unwrap();
    let conn = timeout(
        WAIT,
        endpoint
            .connect_with(config, addr, tls::SERVER_NAME)
            .unwrap(),
    )
    .await
    .expect("handshake in time")
    .expect("the node accepts its pinned peer");
    // The node opens one empty stream once it has accepted our certificate.
    timeout(WAIT, conn.accept_uni())
        .await
        .expect("admission marker in time")
        .expect("admitted");
    conn
}

/// A `HELLO` request on a fresh stream; the node answers with its public key.
async fn hello(conn: &quinn::Connection, node: NodeId) {
    let (mut send, mut recv) = conn.open_bi().await.unwrap();
    let request = Frame::new(HELLO, Vec::new())
        .encode(DEFAULT_MAX_FRAME_LEN)
        .unwrap();
    send.write_all(&request).await.unwrap();
    send.finish().unwrap();
    let reply = timeout(WAIT, read_frame(&mut recv, DEFAULT_MAX_FRAME_LEN))
        .await
        .expect("reply in time")
        .expect("a well-formed reply")
        .expect("a reply frame");
    assert_eq!(reply.kind, HELLO);
    assert_eq!(NodeId::from_public_key(&reply.payload), node);
}

fn refused_frames(node: &NodeProc) -> u64 {
    let (code, body) = node.get("/metrics");
    assert_eq!(code, 200);
    body.as_str()
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("cretoai_consensus_refused_frames_total "))
        .and_then(|v| v.trim().parse().ok())
        .expect("the refused-frames counter is exported")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_frames_close_their_stream_and_the_node_stays_healthy() {
    let me = NodeIdentity::generate().unwrap();
    let endpoint = quinn::Endpoint::client("127.0.0.1:0".parse().unwrap()).unwrap();
    let mut node = NodeProc::new();
    // Pinned at the test endpoint's address; the node's own dials there fail (it accepts
    // nothing), which only leaves consensus inactive.
    node.peers = vec![format!(
        "{}@{}",
        me.node_id(),
        endpoint.local_addr().unwrap()
    )];
    tokio::task::block_in_place(|| node.start());
    let node_id: NodeId = node.id.parse().unwrap();
    let conn = connect(&endpoint, &me, node_id, node.quic).await;
    let malformed: VarInt = STREAM_MALFORMED_FRAME.into();

    for (what, bytes) in malformed_inputs() {
        assert!(bytes.len() >= HEADER_LEN, "{what}");
        let mut uni = conn.open_uni().await.unwrap();
        uni.write_all(&bytes).await.unwrap();
        let stopped = timeout(WAIT, uni.stopped()).await.expect(what);
        assert_eq!(stopped.unwrap(), Some(malformed), "{what} (one-way stream)");

        let (mut send, mut recv) = conn.open_bi().await.unwrap();
        send.write_all(&bytes).await.unwrap();
        let read = timeout(WAIT, recv.read_to_end(1 << 16)).await.expect(what);
        assert!(
            matches!(read, Err(ReadToEndError::Read(ReadError::Reset(code))) if code == malformed),
            "{what} (request stream): {read:?}"
        );
        let stopped = timeout(WAIT, send.stopped()).await.expect(what);
        assert_eq!(stopped.unwrap(), Some(malformed), "{what} (request stream)");
    }
    assert!(
        conn.close_reason().is_none(),
        "only the streams were closed"
    );

    // Well-formed frames whose payload the consensus layer cannot parse are dropped and counted.
    let before = tokio::task::block_in_place(|| refused_frames(&node));
    // (8 is the cluster status a node sends its peers for the console.)
    for kind in [2u8, 7, 8, 200] {
        let frame = Frame::new(FrameKind(kind), b"\xffnot a message".to_vec());
        let mut uni = conn.open_uni().await.unwrap();
        uni.write_all(&frame.encode(DEFAULT_MAX_FRAME_LEN).unwrap())
            .await
            .unwrap();
        uni.finish().unwrap();
    }
    tokio::task::block_in_place(|| {
        harness::wait(WAIT, "four refused frames counted", || {
            refused_frames(&node) >= before + 4
        })
    });

    // The node is healthy, the same connection serves a new stream, and a new connection works.
    let (code, body) = tokio::task::block_in_place(|| node.get("/health"));
    assert_eq!((code, body["status"].as_str()), (200, Some("ok")));
    hello(&conn, node_id).await;
    let fresh = connect(&endpoint, &me, node_id, node.quic).await;
    hello(&fresh, node_id).await;
    let log = node.log_tail();
    assert!(!log.contains("panicked"), "{log}");
    endpoint.close(0u32.into(), b"done");
}
