//! A UDP relay in front of every node's QUIC port, so a test can cut one node off from the
//! others' traffic (both directions) and heal it again, with real processes and sockets.
//!
//! Each node's peers dial the relay's front socket for it instead of the node itself. A
//! datagram from a node's QUIC socket (one per node: quinn sends and receives on the port it
//! listens on) goes out to the target through an upstream socket kept for that sender, and the
//! target's answers come back the same way. Nodes identify one another by their pinned TLS
//! identities, not by addresses, so the extra hop changes nothing else.

#![allow(dead_code)]

use super::harness::Cluster;
use std::collections::HashMap;
use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

const NOBODY: usize = usize::MAX;

/// The relay of one cluster; stops its threads when dropped.
pub struct Relay {
    cut_off: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    threads: Mutex<Vec<JoinHandle<()>>>,
}

struct Shared {
    cut_off: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    /// Each node's QUIC address, by index.
    nodes: Vec<SocketAddr>,
}

impl Shared {
    fn passes(&self, a: usize, b: usize) -> bool {
        let cut = self.cut_off.load(Ordering::Relaxed);
        cut != a && cut != b
    }

    fn index(&self, addr: SocketAddr) -> Option<usize> {
        self.nodes.iter().position(|n| *n == addr)
    }
}

/// Starts `n` nodes behind a relay (so any one can be cut off) and waits until each is ready.
pub fn start_behind_relay(n: usize) -> (Cluster, Relay) {
    let mut cluster = Cluster::configure(n);
    let relay = Relay::install(&mut cluster);
    for node in &mut cluster.nodes {
        node.start();
    }
    for i in 0..n {
        cluster.wait_ready(i);
    }
    (cluster, relay)
}

impl Relay {
    /// Puts a relay in front of every node of a configured (not started) cluster and points
    /// each node's peers at it.
    pub fn install(cluster: &mut Cluster) -> Relay {
        let cut_off = Arc::new(AtomicUsize::new(NOBODY));
        let stop = Arc::new(AtomicBool::new(false));
        let shared = Arc::new(Shared {
            cut_off: cut_off.clone(),
            stop: stop.clone(),
            nodes: cluster.nodes.iter().map(|n| n.quic).collect(),
        });
        let mut fronts = Vec::new();
        let mut threads = Vec::new();
        for target in 0..cluster.nodes.len() {
            let front = UdpSocket::bind("127.0.0.1:0").unwrap();
            front
                .set_read_timeout(Some(Duration::from_millis(100)))
                .unwrap();
            fronts.push(front.local_addr().unwrap());
            let shared = shared.clone();
            threads.push(std::thread::spawn(move || forward(front, target, shared)));
        }
        let ids: Vec<String> = cluster.nodes.iter().map(|n| n.id.clone()).collect();
        for (me, node) in cluster.nodes.iter_mut().enumerate() {
            node.peers = (0..ids.len())
                .filter(|&peer| peer != me)
                .map(|peer| format!("{}@{}", ids[peer], fronts[peer]))
                .collect();
        }
        Relay {
            cut_off,
            stop,
            threads: Mutex::new(threads),
        }
    }

    /// Drops every datagram to or from node `i` until [`Relay::heal`].
    pub fn cut_off(&self, i: usize) {
        self.cut_off.store(i, Ordering::Relaxed);
    }

    /// Lets every datagram through again.
    pub fn heal(&self) {
        self.cut_off.store(NOBODY, Ordering::Relaxed);
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads.lock().unwrap().drain(..) {
            let _ = t.join();
        }
    }
}

/// Forwards datagrams that reach `front` to node `target`, through one upstream socket per
/// sender, and spawns the thread that carries each upstream socket's answers back.
fn forward(front: UdpSocket, target: usize, shared: Arc<Shared>) {
    let mut upstream: HashMap<SocketAddr, UdpSocket> = HashMap::new();
    let mut answers = Vec::new();
    let mut buf = vec![0u8; 65_536];
    while !shared.stop.load(Ordering::Relaxed) {
        let Ok((len, from)) = front.recv_from(&mut buf) else {
            continue;
        };
        let Some(sender) = shared.index(from) else {
            continue;
        };
        if !shared.passes(sender, target) {
            continue;
        }
        let socket = upstream.entry(from).or_insert_with(|| {
            let up = UdpSocket::bind("127.0.0.1:0").unwrap();
            up.connect(shared.nodes[target]).unwrap();
            up.set_read_timeout(Some(Duration::from_millis(100)))
                .unwrap();
            let back = (up.try_clone().unwrap(), front.try_clone().unwrap());
            let shared = shared.clone();
            answers.push(std::thread::spawn(move || {
                answer(back.0, back.1, from, sender, target, shared)
            }));
            up
        });
        let _ = socket.send(&buf[..len]);
    }
    for t in answers {
        let _ = t.join();
    }
}

/// Carries node `target`'s datagrams on `up` back to `sender` at `to`, from `front`.
fn answer(
    up: UdpSocket,
    front: UdpSocket,
    to: SocketAddr,
    sender: usize,
    target: usize,
    shared: Arc<Shared>,
) {
    let mut buf = vec![0u8; 65_536];
    while !shared.stop.load(Ordering::Relaxed) {
        let Ok(len) = up.recv(&mut buf) else {
            continue;
        };
        if shared.passes(sender, target) {
            let _ = front.send_to(&buf[..len], to);
        }
    }
}
