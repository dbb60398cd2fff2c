//! Three `Network`s on 127.0.0.1: frames, broadcast, requests, status, malformed frames, and a
//! node that goes down and comes back.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use cretoai_network::{
    tls, Backoff, Frame, FrameKind, Inbound, Network, NetworkConfig, NetworkError, NodeIdentity,
    PeerConfig, STREAM_MALFORMED_FRAME,
};
use tokio::sync::mpsc::Receiver;

const WAIT: Duration = Duration::from_secs(15);

fn config(listen: SocketAddr) -> NetworkConfig {
    let mut config = NetworkConfig::new(listen);
    config.backoff = Backoff {
        initial: Duration::from_millis(50),
        max: Duration::from_millis(400),
    };
    config.connect_timeout = Duration::from_secs(1);
    config.request_timeout = Duration::from_secs(3);
    config.keep_alive = Duration::from_millis(300);
    config.idle_timeout = Duration::from_millis(1500);
    config.max_frame_len = 1024;
    config
}

fn loopback() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

async fn start(identity: NodeIdentity, listen: SocketAddr) -> (Network, Receiver<Inbound>) {
    // A port freed by a node that just shut down can take a moment to be released.
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        match Network::start(identity.clone(), config(listen)).await {
            Ok(started) => return started,
            Err(e) if tokio::time::Instant::now() < deadline => {
                eprintln!("retrying bind of {listen}: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("cannot start network on {listen}: {e}"),
        }
    }
}

fn peer(network: &Network) -> PeerConfig {
    PeerConfig {
        node_id: network.node_id(),
        address: network.local_addr(),
    }
}

fn connect_all(nodes: &[&Network]) {
    for a in nodes {
        for b in nodes {
            a.add_peer(peer(b));
        }
    }
}

async fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while !done() {
        assert!(tokio::time::Instant::now() < deadline, "timed out: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn all_connected(network: &Network, expected: usize) -> bool {
    let peers = network.peers();
    peers.len() == expected && peers.iter().all(|p| p.connected)
}

/// The next message, skipping peer up/down notices.
async fn next_message(rx: &mut Receiver<Inbound>) -> (cretoai_network::NodeId, Frame) {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let event = tokio::time::timeout_at(deadline, rx.recv())
            .await
            .expect("a message arrives")
            .expect("channel open");
        if let Inbound::Message { from, frame } = event {
            return (from, frame);
        }
    }
}

/// Waits for a peer up/down notice about `peer`, skipping everything else.
async fn wait_notice(rx: &mut Receiver<Inbound>, up: bool, peer: cretoai_network::NodeId) {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let event = tokio::time::timeout_at(deadline, rx.recv())
            .await
            .expect("the notice arrives")
            .expect("channel open");
        match event {
            Inbound::PeerUp { peer: p } if up && p == peer => return,
            Inbound::PeerDown { peer: p } if !up && p == peer => return,
            _ => {}
        }
    }
}

/// Answers every request with its payload reversed; drops requests of kind 99 unanswered.
fn serve_echo(mut rx: Receiver<Inbound>) {
    tokio::spawn(async move {
        while let Some(event) = rx.recv().await {
            if let Inbound::Request { frame, reply, .. } = event {
                if frame.kind != FrameKind(99) {
                    let mut payload = frame.payload;
                    payload.reverse();
                    let _ = reply.reply(Frame::new(FrameKind(2), payload));
                }
            }
        }
    });
}

#[tokio::test]
async fn three_nodes_exchange_frames_and_requests() {
    let (a, mut a_rx) = start(NodeIdentity::generate().unwrap(), loopback()).await;
    let (b, mut b_rx) = start(NodeIdentity::generate().unwrap(), loopback()).await;
    let (c, c_rx) = start(NodeIdentity::generate().unwrap(), loopback()).await;
    connect_all(&[&a, &b, &c]);
    for n in [&a, &b, &c] {
        wait_until("full mesh", || all_connected(n, 2)).await;
        for status in n.peers() {
            assert_eq!(status.key_exchange_group.as_deref(), Some("X25519MLKEM768"));
            assert!(status.rtt.is_some());
            assert_eq!(status.failed_attempts, 0);
        }
    }

    let hello = Frame::new(FrameKind(1), b"vertex bytes".to_vec());
    let results = a.broadcast(&hello).await;
    assert_eq!(results.len(), 2);
    assert!(results.iter().all(|(_, r)| r.is_ok()), "{results:?}");
    assert_eq!(next_message(&mut b_rx).await, (a.node_id(), hello.clone()));

    let batch: Vec<Frame> = (0..20u8)
        .map(|i| Frame::new(FrameKind(i), vec![i; usize::from(i) * 10]))
        .collect();
    c.send_many(&b.node_id(), &batch).await.unwrap();
    for expected in &batch {
        assert_eq!(
            next_message(&mut b_rx).await,
            (c.node_id(), expected.clone())
        );
    }

    let direct = Frame::new(FrameKind(3), vec![7; 1024]);
    b.send(&a.node_id(), &direct).await.unwrap();
    assert_eq!(next_message(&mut a_rx).await, (b.node_id(), direct));

    // C answers requests; A and B query it.
    serve_echo(c_rx);
    let reply = a
        .request(&c.node_id(), &Frame::new(FrameKind(5), b"abc".to_vec()))
        .await
        .unwrap();
    assert_eq!(reply, Frame::new(FrameKind(2), b"cba".to_vec()));
    let unanswered = b
        .request(&c.node_id(), &Frame::new(FrameKind(99), b"?".to_vec()))
        .await;
    assert!(
        matches!(unanswered, Err(NetworkError::NoReply(id)) if id == c.node_id()),
        "{unanswered:?}"
    );

    // Size limits apply before anything is sent.
    let too_big = Frame::new(FrameKind(1), vec![0; 1025]);
    assert!(matches!(
        a.send(&b.node_id(), &too_big).await,
        Err(NetworkError::FrameTooLarge {
            len: 1025,
            max: 1024
        })
    ));
    let stranger = NodeIdentity::generate().unwrap().node_id();
    assert!(matches!(
        a.send(&stranger, &hello).await,
        Err(NetworkError::UnknownPeer(id)) if id == stranger
    ));
    let a_clone = a.clone();
    for n in [a, b, c] {
        n.shutdown().await;
    }
    assert!(matches!(
        a_clone.send(&stranger, &hello).await,
        Err(NetworkError::Shutdown)
    ));
    assert!(!a_clone.add_peer(PeerConfig {
        node_id: stranger,
        address: loopback()
    }));
}

#[tokio::test]
async fn a_node_goes_down_and_comes_back() {
    let dir = tempfile::tempdir().unwrap();
    let c_key = dir.path().join("c").join("node.key");
    let c_identity = |path: &Path| NodeIdentity::load_or_create(path, Some(&[3u8; 32])).unwrap();

    let (a, mut a_rx) = start(NodeIdentity::generate().unwrap(), loopback()).await;
    let (b, mut b_rx) = start(NodeIdentity::generate().unwrap(), loopback()).await;
    let (c, _c_rx) = start(c_identity(&c_key), loopback()).await;
    let (c_id, c_addr) = (c.node_id(), c.local_addr());
    connect_all(&[&a, &b, &c]);
    for n in [&a, &b, &c] {
        wait_until("full mesh", || all_connected(n, 2)).await;
    }

    c.shutdown().await;
    drop(c);
    let c_down = |n: &Network| n.peers().iter().any(|p| p.node_id == c_id && !p.connected);
    wait_notice(&mut a_rx, false, c_id).await;
    wait_until("A sees C down", || c_down(&a)).await;
    wait_until("B sees C down", || c_down(&b)).await;

    // The others keep working while C is down, and sending to C fails at once.
    let ping = Frame::new(FrameKind(1), b"while C is down".to_vec());
    assert!(matches!(
        a.send(&c_id, &ping).await,
        Err(NetworkError::NotConnected(id)) if id == c_id
    ));
    a.send(&b.node_id(), &ping).await.unwrap();
    assert_eq!(next_message(&mut b_rx).await, (a.node_id(), ping.clone()));
    let results = b.broadcast(&ping).await;
    assert!(results
        .iter()
        .any(|(id, r)| *id == a.node_id() && r.is_ok()));
    assert!(results
        .iter()
        .any(|(id, r)| *id == c_id && matches!(r, Err(NetworkError::NotConnected(_)))));
    assert_eq!(next_message(&mut a_rx).await, (b.node_id(), ping));
    // A keeps redialling C on its backoff schedule.
    wait_until("A retried C", || {
        a.peers()
            .iter()
            .any(|p| p.node_id == c_id && p.failed_attempts >= 2)
    })
    .await;

    // C restarts from its identity file on the same address; A and B reconnect by themselves.
    let (c, mut c_rx) = start(c_identity(&c_key), c_addr).await;
    assert_eq!(c.node_id(), c_id, "identity survives the restart");
    c.add_peer(peer(&a));
    c.add_peer(peer(&b));
    for n in [&a, &b, &c] {
        wait_until("mesh restored", || all_connected(n, 2)).await;
    }
    wait_notice(&mut a_rx, true, c_id).await;
    let back = Frame::new(FrameKind(4), b"welcome back".to_vec());
    a.send(&c_id, &back).await.unwrap();
    assert_eq!(next_message(&mut c_rx).await, (a.node_id(), back.clone()));
    c.send(&b.node_id(), &back).await.unwrap();
    assert_eq!(next_message(&mut b_rx).await, (c_id, back));

    for n in [a, b, c] {
        n.shutdown().await;
    }
}

#[tokio::test]
async fn malformed_frames_close_only_their_stream() {
    let server_identity = NodeIdentity::generate().unwrap();
    let client_identity = NodeIdentity::generate().unwrap();
    let (server, mut server_rx) = start(server_identity.clone(), loopback()).await;
    // The raw client is pinned by the server (as a peer it cannot reach: the port is closed).
    server.add_peer(PeerConfig {
        node_id: client_identity.node_id(),
        address: "127.0.0.1:9".parse().unwrap(),
    });
    let endpoint = quinn::Endpoint::client(loopback()).unwrap();
    let client_config = tls::client_config(
        &client_identity,
        server_identity.node_id(),
        std::sync::Arc::new(quinn::TransportConfig::default()),
    )
    .unwrap();
    let conn = endpoint
        .connect_with(client_config, server.local_addr(), tls::SERVER_NAME)
        .unwrap()
        .await
        .unwrap();

    let bad_inputs: [&[u8]; 3] = [
        &[9, 1, 0, 0, 0, 1, 0],          // unknown version
        &[1, 1, 0, 0, 4, 1],             // 1025 > max 1024
        &[1, 1, 0xff, 0xff, 0xff, 0xff], // 4 GiB claimed
    ];
    for bad in bad_inputs {
        let mut stream = conn.open_uni().await.unwrap();
        stream.write_all(bad).await.unwrap();
        let stopped = tokio::time::timeout(WAIT, stream.stopped())
            .await
            .expect("server stops the stream")
            .unwrap();
        assert_eq!(stopped, Some(STREAM_MALFORMED_FRAME.into()));
    }

    // Arbitrary bytes (deterministic xorshift), each blob on its own stream, sometimes
    // finished early: nothing may panic and the connection must survive.
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..64 {
        let len = (next() % 40) as usize;
        let mut blob: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        if next() % 2 == 0 && !blob.is_empty() {
            blob[0] = 1; // a valid version makes the length and payload paths run
        }
        let mut stream = conn.open_uni().await.unwrap();
        stream.write_all(&blob).await.unwrap();
        stream.finish().unwrap();
    }

    // The connection and the node are fine: a well-formed frame still arrives.
    let good = Frame::new(FrameKind(8), b"ok".to_vec());
    let mut stream = conn.open_uni().await.unwrap();
    stream.write_all(&good.encode(1024).unwrap()).await.unwrap();
    stream.finish().unwrap();
    loop {
        // Random blobs that happened to be well-formed are delivered too; skip them.
        let (from, frame) = next_message(&mut server_rx).await;
        assert_eq!(from, client_identity.node_id());
        if frame.kind == FrameKind(8) && frame.payload == b"ok" {
            break;
        }
    }
    assert!(conn.close_reason().is_none());
    server.shutdown().await;
}

#[tokio::test]
async fn an_unknown_node_cannot_join() {
    let (a, mut a_rx) = start(NodeIdentity::generate().unwrap(), loopback()).await;
    let (intruder, _rx) = start(NodeIdentity::generate().unwrap(), loopback()).await;
    // The intruder knows A's real id and address; A does not pin the intruder.
    intruder.add_peer(peer(&a));
    wait_until("intruder retried", || {
        intruder.peers()[0].failed_attempts >= 2
    })
    .await;
    assert!(!intruder.peers()[0].connected);
    assert!(a_rx.try_recv().is_err(), "nothing reached A");
    a.shutdown().await;
    intruder.shutdown().await;
}

#[test]
fn a_silently_dead_node_is_detected_and_redialled() {
    // A node whose runtime vanishes sends no CONNECTION_CLOSE (like `kill -9`): its peer must
    // notice through the idle timeout, then reconnect when it is back.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let victim_runtime = tokio::runtime::Runtime::new().unwrap();
    let victim_identity = NodeIdentity::generate().unwrap();
    let (a, mut a_rx) = runtime.block_on(start(NodeIdentity::generate().unwrap(), loopback()));
    let (victim, victim_rx) = victim_runtime.block_on(start(victim_identity.clone(), loopback()));
    let victim_peer = peer(&victim);
    {
        let _victim_context = victim_runtime.enter();
        victim.add_peer(peer(&a));
    }
    runtime.block_on(async {
        a.add_peer(victim_peer);
        wait_notice(&mut a_rx, true, victim_peer.node_id).await;
    });
    // Kill the runtime first: its tasks (quinn's endpoint driver included) vanish mid-flight,
    // so dropping the handle afterwards cannot send a close; it only frees the socket.
    victim_runtime.shutdown_background();
    drop(victim);
    drop(victim_rx);

    runtime.block_on(async {
        wait_notice(&mut a_rx, false, victim_peer.node_id).await;
        let (revived, mut revived_rx) = start(victim_identity, victim_peer.address).await;
        revived.add_peer(peer(&a));
        wait_notice(&mut a_rx, true, victim_peer.node_id).await;
        let frame = Frame::new(FrameKind(6), b"after the crash".to_vec());
        a.send(&victim_peer.node_id, &frame).await.unwrap();
        assert_eq!(next_message(&mut revived_rx).await, (a.node_id(), frame));
        revived.shutdown().await;
        a.shutdown().await;
    });
}
