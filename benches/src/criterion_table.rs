//! `cretoai-bench crypto-table`: turns the estimates criterion saved for the `crypto` bench
//! (`<target>/criterion/<id>/new/{benchmark,estimates}.json`) into the markdown table of
//! docs/benchmarks/crypto.md, so the published figures are copied by a program, not by hand.

use serde_json::Value;
use std::io;
use std::path::Path;

/// The table's rows, in the order docs/benchmarks/crypto.md shows them (criterion full ids).
/// Benchmarks found on disk but not listed here follow, sorted by id.
pub const ROWS: [&str; 22] = [
    "ml-kem-768/keygen",
    "ml-kem-768/encaps",
    "ml-kem-768/decaps",
    "envelope/encrypt/1024",
    "envelope/decrypt/1024",
    "envelope/encrypt/65536",
    "envelope/decrypt/65536",
    "ml-dsa-44/keygen",
    "ml-dsa-44/sign",
    "ml-dsa-44/verify",
    "ml-dsa-44/verify_with_key_parse",
    "ml-dsa-44/verify_prepared",
    "ml-dsa-65/keygen",
    "ml-dsa-65/sign",
    "ml-dsa-65/verify",
    "ml-dsa-65/verify_with_key_parse",
    "ml-dsa-65/verify_prepared",
    "ml-dsa-87/keygen",
    "ml-dsa-87/sign",
    "ml-dsa-87/verify",
    "ml-dsa-87/verify_with_key_parse",
    "ml-dsa-87/verify_prepared",
];

/// Marks the generated table inside a markdown file.
pub const START_MARK: &str = "<!-- crypto-table:start -->";
/// End of the generated table.
pub const END_MARK: &str = "<!-- crypto-table:end -->";

/// One benchmark's result: criterion's mean time per iteration with its 95 % interval.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    /// Criterion's full id, e.g. `ml-dsa-65/sign` or `envelope/encrypt/1024`.
    pub id: String,
    /// Mean time per iteration, nanoseconds.
    pub mean_ns: f64,
    /// Lower bound of the mean's confidence interval, nanoseconds.
    pub lower_ns: f64,
    /// Upper bound of the mean's confidence interval, nanoseconds.
    pub upper_ns: f64,
    /// Bytes processed per iteration, when the bench declared a byte throughput.
    pub bytes: Option<u64>,
}

/// Reads every `new/benchmark.json` + `new/estimates.json` pair under `dir`.
pub fn collect(dir: &Path) -> io::Result<Vec<Estimate>> {
    let mut found = Vec::new();
    walk(dir, &mut found)?;
    Ok(found)
}

fn walk(dir: &Path, found: &mut Vec<Estimate>) -> io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if !path.is_dir() {
            continue;
        }
        if path.file_name().is_some_and(|n| n == "new") {
            if path.join("benchmark.json").is_file() {
                found.push(read_pair(&path)?);
            }
        } else {
            walk(&path, found)?;
        }
    }
    Ok(())
}

fn read_pair(new_dir: &Path) -> io::Result<Estimate> {
    let read = |name: &str| -> io::Result<Value> {
        let text = std::fs::read(new_dir.join(name))?;
        serde_json::from_slice(&text).map_err(io::Error::other)
    };
    let (bench, est) = (read("benchmark.json")?, read("estimates.json")?);
    let bad = |what: &str| io::Error::other(format!("{}: no {what}", new_dir.display()));
    let id = bench["full_id"].as_str().ok_or_else(|| bad("full_id"))?;
    let mean = &est["mean"];
    let number = |v: &Value, what: &str| v.as_f64().ok_or_else(|| bad(what));
    Ok(Estimate {
        id: id.to_string(),
        mean_ns: number(&mean["point_estimate"], "mean")?,
        lower_ns: number(&mean["confidence_interval"]["lower_bound"], "lower bound")?,
        upper_ns: number(&mean["confidence_interval"]["upper_bound"], "upper bound")?,
        bytes: bench["throughput"]["Bytes"].as_u64(),
    })
}

/// The markdown table: every id of [`ROWS`] (`not run` when missing), then any others.
pub fn render(estimates: &[Estimate]) -> String {
    let mut out = String::from(
        "| benchmark | mean | 95 % interval of the mean | per second | throughput |\n\
         |---|---:|---:|---:|---:|\n",
    );
    let mut extra: Vec<&Estimate> = estimates
        .iter()
        .filter(|e| !ROWS.contains(&e.id.as_str()))
        .collect();
    extra.sort_by(|a, b| a.id.cmp(&b.id));
    for id in ROWS {
        match estimates.iter().find(|e| e.id == id) {
            Some(e) => out.push_str(&row(e)),
            None => out.push_str(&format!("| `{id}` | not run | | | |\n")),
        }
    }
    for e in extra {
        out.push_str(&row(e));
    }
    out
}

fn row(e: &Estimate) -> String {
    let throughput = e.bytes.map_or(String::new(), |b| {
        format!(
            "{:.0} MiB/s",
            b as f64 / e.mean_ns * 1e9 / (1024.0 * 1024.0)
        )
    });
    format!(
        "| `{}` | {} | {} – {} | {:.0} | {throughput} |\n",
        e.id,
        duration(e.mean_ns),
        duration(e.lower_ns),
        duration(e.upper_ns),
        1e9 / e.mean_ns
    )
}

/// Microseconds with three significant figures, or milliseconds from 10 ms up.
fn duration(ns: f64) -> String {
    let us = ns / 1000.0;
    match us {
        u if u >= 10_000.0 => format!("{:.1} ms", u / 1000.0),
        u if u >= 100.0 => format!("{u:.0} µs"),
        u if u >= 10.0 => format!("{u:.1} µs"),
        u => format!("{u:.2} µs"),
    }
}

/// `doc` with the text between [`START_MARK`] and [`END_MARK`] replaced by `table`; `None`
/// when the marks are missing or out of order.
pub fn splice(doc: &str, table: &str) -> Option<String> {
    let start = doc.find(START_MARK)? + START_MARK.len();
    let end = start + doc[start..].find(END_MARK)?;
    Some(format!("{}\n{table}{}", &doc[..start], &doc[end..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, id: &str, bench: &str, mean: f64) {
        let new = dir.join(id).join("new");
        std::fs::create_dir_all(&new).unwrap();
        std::fs::write(new.join("benchmark.json"), bench).unwrap();
        let est = format!(
            r#"{{"mean":{{"confidence_interval":{{"confidence_level":0.95,"lower_bound":{},"upper_bound":{}}},"point_estimate":{mean},"standard_error":1.0}}}}"#,
            mean - 100.0,
            mean + 100.0
        );
        std::fs::write(new.join("estimates.json"), est).unwrap();
    }

    #[test]
    fn reads_criterion_output_and_renders_the_table() {
        let dir = std::env::temp_dir().join(format!("crypto-table-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        write(
            &dir,
            "ml-dsa-65/sign",
            r#"{"group_id":"ml-dsa-65","function_id":"sign","value_str":null,"throughput":null,"full_id":"ml-dsa-65/sign"}"#,
            130_000.0,
        );
        write(
            &dir,
            "envelope/encrypt/1024",
            r#"{"group_id":"envelope","function_id":"encrypt","value_str":"1024","throughput":{"Bytes":1024},"full_id":"envelope/encrypt/1024"}"#,
            20_000.0,
        );
        // Criterion's `base` copy of an earlier run must not be read as a second result.
        std::fs::create_dir_all(dir.join("ml-dsa-65/sign/base")).unwrap();
        let mut found = collect(&dir).unwrap();
        found.sort_by(|a, b| a.id.cmp(&b.id));
        assert_eq!(found.len(), 2);
        assert_eq!(found[1].id, "ml-dsa-65/sign");
        assert_eq!(found[1].mean_ns, 130_000.0);
        assert_eq!(found[0].bytes, Some(1024));
        let table = render(&found);
        assert!(table.contains("| `ml-dsa-65/sign` | 130 µs | 130 µs – 130 µs | 7692 |  |\n"));
        assert!(table.contains(
            "| `envelope/encrypt/1024` | 20.0 µs | 19.9 µs – 20.1 µs | 50000 | 49 MiB/s |\n"
        ));
        assert!(table.contains("| `ml-kem-768/keygen` | not run | | | |\n"));
        assert_eq!(table.lines().count(), 2 + ROWS.len());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn splice_replaces_only_between_the_marks() {
        let doc = format!("intro\n{START_MARK}\nold\n{END_MARK}\noutro\n");
        let new = splice(&doc, "| t |\n").unwrap();
        assert_eq!(
            new,
            format!("intro\n{START_MARK}\n| t |\n{END_MARK}\noutro\n")
        );
        assert_eq!(splice(&new, "| t |\n").unwrap(), new);
        assert!(splice("no marks", "x").is_none());
        assert!(splice(&format!("{END_MARK}{START_MARK}"), "x").is_none());
    }
}
