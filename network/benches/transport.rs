//! Transport costs on 127.0.0.1 (one process, real UDP sockets):
//! - `handshake`: a full QUIC/TLS 1.3 handshake, X25519MLKEM768 + ML-DSA-65 mutual auth,
//!   until the dialler holds the acceptor's admission marker;
//! - `request_rtt`: one `Network::request` round trip (64-byte payloads);
//! - `send_many/100x1KiB`: 100 one-KiB frames on one stream, until the receiver has them all.
//!
//! Run: `CARGO_TARGET_DIR=/work/target-network cargo bench -p cretoai-network --bench transport`

use std::sync::{Arc, RwLock};
use std::time::Duration;

use cretoai_network::{
    tls, Frame, FrameKind, Inbound, Network, NetworkConfig, NodeIdentity, PeerConfig, PinSet,
};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use tokio::runtime::Runtime;
use tokio::sync::mpsc::Receiver;

fn loopback() -> std::net::SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

fn handshake(c: &mut Criterion, rt: &Runtime) {
    let client_id = NodeIdentity::generate().unwrap();
    let server_id = NodeIdentity::generate().unwrap();
    let transport = Arc::new(quinn::TransportConfig::default());
    let pins: PinSet = [client_id.node_id()].into_iter().collect();
    let _guard = rt.enter();
    let server = quinn::Endpoint::server(
        tls::server_config(&server_id, Arc::new(RwLock::new(pins)), transport.clone()).unwrap(),
        loopback(),
    )
    .unwrap();
    let addr = server.local_addr().unwrap();
    // Acceptor: admit, send the marker like `Network` does, keep the connection until closed.
    rt.spawn(async move {
        while let Some(incoming) = server.accept().await {
            tokio::spawn(async move {
                if let Ok(conn) = incoming.await {
                    if let Ok(mut marker) = conn.open_uni().await {
                        let _ = marker.finish();
                    }
                    conn.closed().await;
                }
            });
        }
    });
    let client = quinn::Endpoint::client(loopback()).unwrap();
    let config = tls::client_config(&client_id, server_id.node_id(), transport).unwrap();
    c.bench_function("handshake", |b| {
        b.iter(|| {
            rt.block_on(async {
                let conn = client
                    .connect_with(config.clone(), addr, tls::SERVER_NAME)
                    .unwrap()
                    .await
                    .unwrap();
                conn.accept_uni().await.unwrap();
                conn.close(0u32.into(), b"done");
            })
        })
    });
}

async fn pair() -> ((Network, Receiver<Inbound>), (Network, Receiver<Inbound>)) {
    let mut config = NetworkConfig::new(loopback());
    config.backoff.initial = Duration::from_millis(20);
    let a = Network::start(NodeIdentity::generate().unwrap(), config.clone())
        .await
        .unwrap();
    let b = Network::start(NodeIdentity::generate().unwrap(), config)
        .await
        .unwrap();
    for (x, y) in [(&a.0, &b.0), (&b.0, &a.0)] {
        x.add_peer(PeerConfig {
            node_id: y.node_id(),
            address: y.local_addr(),
        });
    }
    while !(a.0.peers().iter().all(|p| p.connected) && b.0.peers().iter().all(|p| p.connected)) {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    (a, b)
}

fn request_and_send(c: &mut Criterion, rt: &Runtime) {
    let ((a, _a_rx), (b, mut b_rx)) = rt.block_on(pair());
    let b_id = b.node_id();
    // B answers requests and counts messages for the throughput bench.
    let (count_tx, mut count_rx) = tokio::sync::mpsc::unbounded_channel::<()>();
    rt.spawn(async move {
        while let Some(event) = b_rx.recv().await {
            match event {
                Inbound::Request { frame, reply, .. } => {
                    let _ = reply.reply(frame);
                }
                Inbound::Message { .. } => {
                    let _ = count_tx.send(());
                }
                _ => {}
            }
        }
    });

    let query = Frame::new(FrameKind(1), vec![0x42; 64]);
    c.bench_function("request_rtt", |bench| {
        bench.iter(|| rt.block_on(a.request(&b_id, &query)).unwrap())
    });

    let batch: Vec<Frame> = (0..100)
        .map(|_| Frame::new(FrameKind(2), vec![0x17; 1024]))
        .collect();
    let mut group = c.benchmark_group("send_many");
    group.throughput(Throughput::Elements(batch.len() as u64));
    group.bench_function("100x1KiB", |bench| {
        bench.iter(|| {
            rt.block_on(async {
                a.send_many(&b_id, &batch).await.unwrap();
                for _ in 0..batch.len() {
                    count_rx.recv().await.unwrap();
                }
            })
        })
    });
    group.finish();
    drop(b);
}

fn transport(c: &mut Criterion) {
    let rt = Runtime::new().unwrap();
    handshake(c, &rt);
    request_and_send(c, &rt);
}

criterion_group!(benches, transport);
criterion_main!(benches);
