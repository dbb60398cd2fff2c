//! The node process's own resident memory and CPU use, read from `/proc/self` (Linux). On other
//! systems both are `None` and the console shows a dash.

use std::time::Instant;

/// Linux reports CPU time in `USER_HZ` ticks, which is 100 on every architecture it exposes to
/// user space (the kernel scales its internal HZ to it).
const TICKS_PER_SECOND: f64 = 100.0;

/// Turns successive CPU-time readings into a percentage of one core.
#[derive(Debug, Default)]
pub struct CpuMeter {
    last: Option<(Instant, u64)>,
}

impl CpuMeter {
    /// CPU used since the previous call, percent of one core; `None` on the first call.
    pub fn percent(&mut self) -> Option<f64> {
        let ticks = cpu_ticks()?;
        let now = Instant::now();
        let previous = self.last.replace((now, ticks));
        let (then, before) = previous?;
        let seconds = now.duration_since(then).as_secs_f64();
        (seconds > 0.0)
            .then(|| ticks.saturating_sub(before) as f64 / TICKS_PER_SECOND / seconds * 100.0)
    }
}

/// Resident set size of this process, bytes.
pub fn rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    parse_rss_kib(&status).map(|kib| kib * 1024)
}

fn parse_rss_kib(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// User plus system CPU time of this process, in ticks.
fn cpu_ticks() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    parse_cpu_ticks(&stat)
}

fn parse_cpu_ticks(stat: &str) -> Option<u64> {
    // The command name (field 2) may contain spaces and parentheses: count from the last `)`.
    // After it come field 3 (state) onwards; utime and stime are fields 14 and 15.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_files_are_parsed() {
        let stat = "4242 (cretoai (node)) S 1 2 3 4 5 6 7 8 9 10 250 50 0 0 20 0 9 0";
        assert_eq!(parse_cpu_ticks(stat), Some(300));
        assert_eq!(
            parse_rss_kib("Name:\tx\nVmRSS:\t   51200 kB\nVmSwap: 0 kB\n"),
            Some(51_200)
        );
        assert_eq!(parse_rss_kib("Name: x\n"), None);
        if cfg!(target_os = "linux") {
            assert!(rss_bytes().unwrap() > 1024 * 1024);
            let mut meter = CpuMeter::default();
            assert_eq!(meter.percent(), None);
        }
    }
}
