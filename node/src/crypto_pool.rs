//! Where encrypt / decrypt / sign / verify run.
//!
//! The pool is an actix `SyncArbiter` with one worker per core: batches, key generation,
//! consensus verification and anything over a large input run there, so long work uses every
//! core and never holds up an HTTP worker's event loop.
//!
//! A single request's single primitive over a small input (one ML-DSA signature, one ML-KEM
//! encapsulation) runs on the calling HTTP worker instead ([`Placement::Caller`]). It takes
//! 0.05 to 0.3 ms, and the hop to a pool thread and back (two cross-thread wake-ups and
//! context switches on a machine where HTTP workers, pool threads and clients share the cores)
//! measured at about 20 µs of node CPU per request, a sixth of an ML-DSA-65 signature. The HTTP
//! workers are one per core too, so single requests still spread over every core.
//! docs/measurement/rest-api.md has the design and docs/benchmarks/history.md the measurements.

use crate::error::{NodeError, Result};
use actix::{Actor, Addr, Handler, Message, SyncArbiter, SyncContext};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Largest input (message or plaintext) whose work may run on the caller: hashing or sealing
/// 64 KiB takes well under 0.1 ms, so the longest inline job stays within a few signatures.
pub const CALLER_MAX_BYTES: usize = 64 * 1024;

/// Where a piece of crypto work runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// On the calling thread (an HTTP worker), when the work is short.
    Caller,
    /// On a pool thread.
    Pool,
}

impl Placement {
    /// Keeps `Caller` only for one primitive over at most [`CALLER_MAX_BYTES`] of input;
    /// everything longer goes to the pool. `Pool` stays `Pool` (batches spread over the pool).
    pub fn limit(self, primitives: usize, input_bytes: usize) -> Self {
        match self {
            Placement::Caller if primitives <= 1 && input_bytes <= CALLER_MAX_BYTES => {
                Placement::Caller
            }
            _ => Placement::Pool,
        }
    }
}

/// Handle to the pool; cheap to clone.
#[derive(Clone)]
pub struct CryptoPool {
    addr: Addr<CryptoWorker>,
}

struct CryptoWorker;

impl Actor for CryptoWorker {
    type Context = SyncContext<Self>;
}

struct Job(Box<dyn FnOnce() + Send>);

impl Message for Job {
    type Result = ();
}

impl Handler<Job> for CryptoWorker {
    type Result = ();
    fn handle(&mut self, job: Job, _: &mut SyncContext<Self>) {
        (job.0)();
    }
}

impl CryptoPool {
    /// Starts `threads` workers. Must run inside an actix system.
    pub fn start(threads: usize) -> Self {
        CryptoPool {
            addr: SyncArbiter::start(threads.max(1), || CryptoWorker),
        }
    }

    /// Runs `work` on a pool thread and waits for its result without blocking the caller's
    /// thread. A panic inside `work` is contained and reported as `unavailable`.
    pub async fn run<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.addr.do_send(Job(Box::new(move || {
            if let Ok(value) = catch_unwind(AssertUnwindSafe(work)) {
                // The requester may have gone away (client disconnect); nothing to do then.
                let _ = tx.send(value);
            }
        })));
        rx.await.map_err(|_| NodeError::Unavailable("crypto pool"))
    }

    /// Runs `work` where `placement` says: right here, or on the pool as [`CryptoPool::run`].
    /// Either way a panic inside `work` is contained and reported as `unavailable`.
    pub async fn run_at<T, F>(&self, placement: Placement, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        match placement {
            Placement::Caller => catch_unwind(AssertUnwindSafe(work))
                .map_err(|_| NodeError::Unavailable("crypto pool")),
            Placement::Pool => self.run(work).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[actix_rt::test]
    async fn runs_work_on_other_threads_and_survives_panics() {
        let pool = CryptoPool::start(2);
        let caller = std::thread::current().id();
        let worker = pool.run(|| std::thread::current().id()).await.unwrap();
        assert_ne!(caller, worker);
        let failed: Result<()> = pool.run(|| panic!("boom")).await;
        assert!(matches!(failed, Err(NodeError::Unavailable(_))));
        assert_eq!(pool.run(|| 41 + 1).await.unwrap(), 42);
    }

    #[actix_rt::test]
    async fn caller_placement_runs_here_and_pool_placement_does_not() {
        let pool = CryptoPool::start(2);
        let caller = std::thread::current().id();
        let here = pool.run_at(Placement::Caller, || std::thread::current().id());
        assert_eq!(here.await.unwrap(), caller);
        let there = pool.run_at(Placement::Pool, || std::thread::current().id());
        assert_ne!(there.await.unwrap(), caller);
        let failed: Result<()> = pool.run_at(Placement::Caller, || panic!("boom")).await;
        assert!(matches!(failed, Err(NodeError::Unavailable(_))));
    }

    #[test]
    fn only_one_primitive_over_a_small_input_stays_on_the_caller() {
        use Placement::{Caller, Pool};
        assert_eq!(Caller.limit(1, 0), Caller);
        assert_eq!(Caller.limit(1, CALLER_MAX_BYTES), Caller);
        assert_eq!(Caller.limit(1, CALLER_MAX_BYTES + 1), Pool);
        assert_eq!(Caller.limit(2, 10), Pool);
        assert_eq!(Pool.limit(1, 10), Pool);
    }
}
