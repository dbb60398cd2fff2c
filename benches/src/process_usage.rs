//! What a local process has used so far, read from `/proc/<pid>/*` (Linux): memory, CPU time
//! and bytes written. The cluster bench reads these for the nodes it starts, at the end of a
//! run and, with [`UsageSampler`], during it.

use std::time::{Duration, Instant};

/// A `/proc/<pid>/status` memory field in KiB: `VmHWM` (peak RSS) or `VmRSS` (current).
pub fn proc_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.strip_prefix(field).is_some_and(|r| r.starts_with(':')))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
}

/// Bytes a process has passed to write calls so far (`wchar` in `/proc/<pid>/io`): its
/// database file writes, plus a little logging.
pub fn proc_written(pid: u32) -> Option<u64> {
    let io = std::fs::read_to_string(format!("/proc/{pid}/io")).ok()?;
    io.lines()
        .find_map(|l| l.strip_prefix("wchar:"))
        .and_then(|v| v.trim().parse().ok())
}

/// User + system CPU seconds a process has used so far (`/proc/<pid>/stat`).
pub fn proc_cpu_secs(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // The kernel reports in USER_HZ, 100 on Linux.
    Some(ticks as f64 / 100.0)
}

/// One reading of a node's memory and CPU time during a run.
#[derive(Debug, Clone, PartialEq)]
pub struct UsageSample {
    /// Seconds since the sampler started.
    pub secs: f64,
    /// Index of the node in the list given to [`UsageSampler::start`].
    pub node: usize,
    /// Resident memory, KiB.
    pub rss_kib: u64,
    /// CPU seconds used so far.
    pub cpu_secs: f64,
}

/// Reads the RSS and CPU time of some processes at a fixed interval on the current tokio
/// runtime, until stopped.
pub struct UsageSampler {
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<Vec<UsageSample>>,
}

impl UsageSampler {
    /// Starts reading `pids` now and every `every` after.
    pub fn start(pids: Vec<u32>, every: Duration) -> Self {
        let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let start = Instant::now();
            let mut tick = tokio::time::interval(every.max(Duration::from_millis(100)));
            let mut samples = Vec::new();
            loop {
                tokio::select! {
                    _ = tick.tick() => {}
                    _ = &mut stopped => break,
                }
                let secs = start.elapsed().as_secs_f64();
                for (node, pid) in pids.iter().enumerate() {
                    if let (Some(rss_kib), Some(cpu_secs)) =
                        (proc_kib(*pid, "VmRSS"), proc_cpu_secs(*pid))
                    {
                        samples.push(UsageSample {
                            secs,
                            node,
                            rss_kib,
                            cpu_secs,
                        });
                    }
                }
            }
            samples
        });
        Self { stop, task }
    }

    /// Stops reading and returns every sample, oldest first.
    pub async fn stop(self) -> Vec<UsageSample> {
        let _ = self.stop.send(());
        self.task.await.unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_this_process() {
        let me = std::process::id();
        let rss = proc_kib(me, "VmRSS").expect("VmRSS");
        let peak = proc_kib(me, "VmHWM").expect("VmHWM");
        assert!(rss > 0 && peak >= rss, "rss {rss} KiB, peak {peak} KiB");
        // A prefix of another field name is not that field.
        assert_eq!(proc_kib(me, "VmR"), None);
        assert!(proc_cpu_secs(me).is_some_and(|s| s >= 0.0));
        assert!(proc_written(me).is_some());
        assert_eq!(proc_cpu_secs(u32::MAX), None);
    }

    #[tokio::test]
    async fn sampler_reads_each_process_at_every_tick() {
        let me = std::process::id();
        let sampler = UsageSampler::start(vec![me, u32::MAX], Duration::from_millis(100));
        tokio::time::sleep(Duration::from_millis(350)).await;
        let samples = sampler.stop().await;
        // A process that does not exist gives no sample; this one gives one per tick.
        assert!(!samples.is_empty(), "{samples:?}");
        assert!(samples.iter().all(|s| s.node == 0 && s.rss_kib > 0));
        assert!(samples.windows(2).all(|w| w[0].secs <= w[1].secs));
    }
}
