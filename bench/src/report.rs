//! The bench's report: medians, sizes and peak memory per function, as the table
//! `docs/performance.md` takes.

use crate::{ColdStart, SUBJECTS, Sustained};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// `VmHWM`: the most resident memory the process has had.
pub(crate) fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc is readable");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/<pid>/status")
}

pub(crate) fn median(samples: &mut [Duration]) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

pub(crate) fn millis(duration: Duration) -> String {
    format!("{:.2}", duration.as_secs_f64() * 1e3)
}

pub(crate) fn megabytes(bytes: u64) -> String {
    format!("{:.2}", bytes as f64 / 1e6)
}

/// The size of `binary` zipped as `bootstrap` (what Lambda's `provided.al2023` runtime runs).
pub(crate) fn zip_size(binary: &Path) -> u64 {
    let dir = std::env::temp_dir().join(format!("stratum-bench-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let zip = dir.join("function.zip");
    let zipped = Command::new("python3")
        .args([
            "-c",
            "import sys, zipfile\n\
             with zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED, compresslevel=9) as z:\n\
             \x20   z.write(sys.argv[2], 'bootstrap')",
        ])
        .arg(&zip)
        .arg(binary)
        .status()
        .expect("python3 runs");
    assert!(zipped.success(), "zipping {} failed", binary.display());
    let size = std::fs::metadata(&zip).expect("the zip exists").len();
    std::fs::remove_dir_all(&dir).expect("the temporary directory is removed");
    size
}

pub(crate) fn print_report(bin_dir: &Path, cold: &[ColdStart], sustained: &[Sustained], runs: usize, warm: usize) {
    let mut cold: Vec<(Duration, Duration, Duration)> = cold
        .iter()
        .map(|c| {
            let (mut init, mut first, mut second) = (c.init.clone(), c.first.clone(), c.second.clone());
            (median(&mut init), median(&mut first), median(&mut second))
        })
        .collect();
    let baseline = cold[0].0;
    println!("### Cold start ({runs} interleaved runs each, medians)\n");
    println!("| function | exec → first poll (ms) | × hello-world | first invocation (ms) | second invocation (ms) |");
    println!("|---|---:|---:|---:|---:|");
    for (subject, (init, first, second)) in SUBJECTS.iter().zip(cold.iter_mut()) {
        println!(
            "| {} | {} | {:.2} | {} | {} |",
            subject.name,
            millis(*init),
            init.as_secs_f64() / baseline.as_secs_f64(),
            millis(*first),
            millis(*second)
        );
    }
    println!("\n### Size and memory ({warm} warm invocations each)\n");
    println!(
        "| function | `bootstrap` (MB) | zip (MB) | zip target (MB) | peak RSS (MB) | median warm invocation (ms) |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    for (subject, sustained) in SUBJECTS.iter().zip(sustained) {
        let binary = bin_dir.join(subject.name);
        let size = std::fs::metadata(&binary).expect("the binary exists").len();
        println!(
            "| {} | {} | {} | {} | {:.1} | {} |",
            subject.name,
            megabytes(size),
            megabytes(zip_size(&binary)),
            if subject.uses_sdk { "≤ 4" } else { "≤ 3" },
            sustained.peak_rss_kib as f64 * 1024.0 / 1e6,
            millis(sustained.median)
        );
    }
}
