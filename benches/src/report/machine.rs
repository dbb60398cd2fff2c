//! The machine a report ran on (CPU model, cores, memory, kernel), its load average, and the
//! commit it measured: read from `/proc` and git, parsed by pure functions.

use std::path::Path;
use std::process::Command;

/// What the page records about the machine.
#[derive(Debug, Clone, PartialEq)]
pub struct Machine {
    /// `model name` of the first CPU in `/proc/cpuinfo`.
    pub cpu_model: String,
    /// Cores this process may use.
    pub cores: usize,
    /// `MemTotal`, KiB.
    pub memory_kib: Option<u64>,
    /// Kernel release.
    pub kernel: String,
}

/// The 1-, 5- and 15-minute load averages.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LoadAverage(pub f64, pub f64, pub f64);

impl std::fmt::Display for LoadAverage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:.2} / {:.2} / {:.2}", self.0, self.1, self.2)
    }
}

impl std::fmt::Display for Machine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let memory = self.memory_kib.map_or("unknown memory".into(), |k| {
            format!("{:.1} GiB memory", k as f64 / (1024.0 * 1024.0))
        });
        write!(
            f,
            "{}, {} cores, {memory}, Linux {}",
            self.cpu_model, self.cores, self.kernel
        )
    }
}

/// The first `model name` of a `/proc/cpuinfo` text.
pub fn cpu_model(cpuinfo: &str) -> Option<String> {
    cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, m)| m.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|m| !m.is_empty())
}

/// `MemTotal` of a `/proc/meminfo` text, KiB.
pub fn memory_kib(meminfo: &str) -> Option<u64> {
    meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
}

/// The three averages of a `/proc/loadavg` text.
pub fn load_average(loadavg: &str) -> Option<LoadAverage> {
    let mut f = loadavg.split_whitespace().map(|v| v.parse::<f64>().ok());
    Some(LoadAverage(f.next()??, f.next()??, f.next()??))
}

impl Machine {
    /// Reads this machine.
    pub fn read() -> Self {
        let read = |p: &str| std::fs::read_to_string(p).unwrap_or_default();
        Self {
            cpu_model: cpu_model(&read("/proc/cpuinfo")).unwrap_or_else(|| "unknown CPU".into()),
            cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
            memory_kib: memory_kib(&read("/proc/meminfo")),
            kernel: read("/proc/sys/kernel/osrelease").trim().to_string(),
        }
    }
}

/// This machine's load average now.
pub fn load_now() -> Option<LoadAverage> {
    load_average(&std::fs::read_to_string("/proc/loadavg").ok()?)
}

/// Tracked files that `git status --porcelain` lists as changed: untracked (`??`) and ignored
/// (`!!`) entries, such as build folders, do not change what was measured.
pub fn tracked_changes(porcelain: &str) -> usize {
    porcelain
        .lines()
        .filter(|l| l.len() > 3 && !l.starts_with("??") && !l.starts_with("!!"))
        .count()
}

/// How the page names the commit: its hash, and the number of tracked files changed since.
pub fn describe_commit(hash: Option<&str>, porcelain: &str) -> String {
    let Some(hash) = hash else {
        return "an unknown commit (not a git checkout)".into();
    };
    match tracked_changes(porcelain) {
        0 => format!("commit `{hash}`"),
        1 => format!("commit `{hash}` with uncommitted changes to 1 tracked file"),
        n => format!("commit `{hash}` with uncommitted changes to {n} tracked files"),
    }
}

/// The commit checked out in `repo`, as [`describe_commit`] words it. Read before the first
/// step: the steps themselves rewrite tracked pages (crypto.md, the AuthZ comparison).
pub fn commit(repo: &Path) -> String {
    let git = |args: &[&str]| {
        Command::new("git")
            .arg("-C")
            .arg(repo)
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim_end().to_string())
    };
    let hash = git(&["rev-parse", "--short=12", "HEAD"]);
    let status = git(&["status", "--porcelain"]).unwrap_or_default();
    describe_commit(hash.as_deref(), &status)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_proc_texts() {
        let cpuinfo = "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R)   Processor @ 2.1GHz\n\nprocessor\t: 1\nmodel name\t: other\n";
        assert_eq!(
            cpu_model(cpuinfo).as_deref(),
            Some("Intel(R) Xeon(R) Processor @ 2.1GHz")
        );
        assert_eq!(cpu_model("processor : 0\n"), None);
        assert_eq!(cpu_model("model name\t:\n"), None);
        let meminfo = "MemTotal:       24683520 kB\nMemFree:        22800000 kB\n";
        assert_eq!(memory_kib(meminfo), Some(24_683_520));
        assert_eq!(memory_kib("MemFree: 1 kB\n"), None);
        assert_eq!(
            load_average("0.52 1.04 2.50 3/412 9000\n"),
            Some(LoadAverage(0.52, 1.04, 2.5))
        );
        assert_eq!(load_average("0.52 x 2.50"), None);
        assert_eq!(load_average(""), None);
    }

    #[test]
    fn describes_the_machine_in_one_line() {
        let m = Machine {
            cpu_model: "Intel(R) Xeon(R) Processor".into(),
            cores: 2,
            memory_kib: Some(24_683_520),
            kernel: "6.1.0-41-amd64".into(),
        };
        assert_eq!(
            m.to_string(),
            "Intel(R) Xeon(R) Processor, 2 cores, 23.5 GiB memory, Linux 6.1.0-41-amd64"
        );
        assert_eq!(
            LoadAverage(0.5, 1.0, 2.25).to_string(),
            "0.50 / 1.00 / 2.25"
        );
        let here = Machine::read();
        assert!(here.cores >= 1 && here.memory_kib.is_some());
    }

    #[test]
    fn only_tracked_changes_make_the_commit_dirty() {
        let untracked = "?? .ci/work/\n?? target-c/\n!! ignored.log\n";
        assert_eq!(tracked_changes(untracked), 0);
        assert_eq!(
            describe_commit(Some("2d5418288abc"), untracked),
            "commit `2d5418288abc`"
        );
        let dirty = " M benches/src/report/page.rs\nM  README.md\n?? .ci/work/\nR  a.md -> b.md\n";
        assert_eq!(tracked_changes(dirty), 3);
        assert_eq!(
            describe_commit(Some("2d5418288abc"), dirty),
            "commit `2d5418288abc` with uncommitted changes to 3 tracked files"
        );
        assert_eq!(
            describe_commit(Some("2d5418288abc"), " D gone.md\n"),
            "commit `2d5418288abc` with uncommitted changes to 1 tracked file"
        );
        assert_eq!(
            describe_commit(None, ""),
            "an unknown commit (not a git checkout)"
        );
    }
}
