//! What a local process has used so far, read from `/proc/<pid>/*` (Linux): memory, CPU time
//! and bytes written. The cluster bench reads these for the nodes it starts.

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
}
