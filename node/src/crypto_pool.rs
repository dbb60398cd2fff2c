//! The threads that run encrypt / decrypt / sign / verify: an actix `SyncArbiter` with one
//! worker per core, so crypto uses every core and never blocks an HTTP worker's event loop.

use crate::error::{NodeError, Result};
use actix::{Actor, Addr, Handler, Message, SyncArbiter, SyncContext};
use std::panic::{catch_unwind, AssertUnwindSafe};

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
}
