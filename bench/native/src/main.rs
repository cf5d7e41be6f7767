//! `make bench`'s native yardstick: the risk-engine crate compiled for the host CPU, run on a workload
//! file that bench/run.mjs writes, on one thread or split into contiguous chunks over several threads
//! (the host's chunking), then summarised exactly as the component summarises one call.
//!
//! Usage: risk-engine-bench <workload.txt> <paths> <threads> <repetitions> <seed>
//! Prints one JSON object: the wall and CPU time of each repetition, the report of the last one and the
//! process's peak resident memory.

use risk_engine::engine;
use risk_engine::model::{Asset, Dependence, Instrument, OptionKind, Portfolio, Position, RiskReport, Simulation};
use std::time::Instant;

const CONFIDENCE: [f64; 2] = [0.95, 0.99];

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 6 {
        eprintln!("usage: risk-engine-bench <workload.txt> <paths> <threads> <repetitions> <seed>");
        std::process::exit(2);
    }
    let text = std::fs::read_to_string(&args[1]).unwrap_or_else(|e| panic!("cannot read {}: {e}", args[1]));
    let portfolio = parse_workload(&text);
    let paths: u64 = args[2].parse().expect("paths");
    let threads: u64 = args[3].parse().expect("threads");
    let repetitions: usize = args[4].parse().expect("repetitions");
    let seed: u64 = args[5].parse().expect("seed");

    let mut seconds = Vec::with_capacity(repetitions);
    let mut cpu_seconds = Vec::with_capacity(repetitions);
    let mut report = None;
    for _ in 0..repetitions {
        let started = Instant::now();
        let cpu_before = process_cpu_seconds();
        report = Some(monte_carlo(&portfolio, paths, threads, seed));
        seconds.push(started.elapsed().as_secs_f64());
        cpu_seconds.push(process_cpu_seconds().zip(cpu_before).map(|(after, before)| after - before));
    }
    let report = report.expect("at least one repetition");
    let levels: Vec<String> = report
        .levels
        .iter()
        .map(|l| format!("{{\"confidence\":{:?},\"var\":{:?},\"es\":{:?},\"stdError\":{:?}}}", l.confidence, l.var, l.es, l.std_error))
        .collect();
    let seconds: Vec<String> = seconds.iter().map(|s| format!("{s:?}")).collect();
    let cpu_seconds: Vec<String> = cpu_seconds.iter().map(|s| s.map_or_else(|| "null".to_string(), |s| format!("{s:?}"))).collect();
    let peak_rss_kb = peak_rss_kb().map_or_else(|| "null".to_string(), |kb| kb.to_string());
    println!(
        "{{\"seconds\":[{}],\"cpuSeconds\":[{}],\"report\":{{\"levels\":[{}],\"meanPnl\":{:?},\"stdPnl\":{:?}}},\"peakRssKb\":{}}}",
        seconds.join(","),
        cpu_seconds.join(","),
        levels.join(","),
        report.mean_pnl,
        report.std_pnl,
        peak_rss_kb
    );
}

/// CPU time of the whole process (every thread), for comparing single-thread runs on a machine shared with
/// other work, where wall time also counts the waits for a core; None off 64-bit Linux.
#[cfg(all(target_os = "linux", target_pointer_width = "64"))]
fn process_cpu_seconds() -> Option<f64> {
    #[repr(C)]
    struct Timespec {
        tv_sec: i64,
        tv_nsec: i64,
    }
    extern "C" {
        fn clock_gettime(clock: i32, time: *mut Timespec) -> i32;
    }
    const CLOCK_PROCESS_CPUTIME_ID: i32 = 2;
    let mut time = Timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes one timespec, which on 64-bit Linux is two i64s, into `time`.
    let status = unsafe { clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &mut time) };
    (status == 0).then(|| time.tv_sec as f64 + time.tv_nsec as f64 * 1e-9)
}

#[cfg(not(all(target_os = "linux", target_pointer_width = "64")))]
fn process_cpu_seconds() -> Option<f64> {
    None
}

/// The whole process's peak resident memory in kB (Linux's VmHWM, what getrusage(2) reports as
/// ru_maxrss), for the bench's memory columns; None where /proc is not Linux's.
fn peak_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Paths split into `threads` contiguous chunks, each simulated on its own thread, merged in path order.
fn monte_carlo(portfolio: &Portfolio, paths: u64, threads: u64, seed: u64) -> RiskReport {
    let run = |first_path: u64, path_count: u64| Simulation { seed, horizon_days: 1.0, antithetic: false, first_path, path_count };
    if threads <= 1 {
        return engine::monte_carlo(portfolio, &run(0, paths), &CONFIDENCE).expect("monte carlo");
    }
    let chunk = paths.div_ceil(threads);
    let pnl: Vec<f64> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..paths)
            .step_by(chunk as usize)
            .map(|first| scope.spawn(move || engine::simulate_pnl(portfolio, &run(first, chunk.min(paths - first))).expect("simulate")))
            .collect();
        workers.into_iter().flat_map(|w| w.join().expect("worker thread")).collect()
    });
    engine::summarize_pnl(&pnl, &CONFIDENCE).expect("summary")
}

/// The text form bench/workloads.mjs writes: `assets N`, N lines `spot drift vol`, N correlation rows,
/// `rate R`, `positions M`, M lines `assetIndex quantity spot|call|put strike expiryYears`.
fn parse_workload(text: &str) -> Portfolio {
    let mut words = text.split_whitespace();
    let mut next = |what: &str| words.next().unwrap_or_else(|| panic!("workload ends before {what}")).to_string();
    let number = |s: String| -> f64 { s.parse().unwrap_or_else(|_| panic!("not a number: {s}")) };
    assert_eq!(next("assets"), "assets");
    let n: usize = next("asset count").parse().expect("asset count");
    let assets: Vec<Asset> =
        (0..n).map(|_| Asset { spot: number(next("spot")), drift: number(next("drift")), vol: number(next("vol")) }).collect();
    let correlation: Vec<Vec<f64>> = (0..n).map(|_| (0..n).map(|_| number(next("correlation"))).collect()).collect();
    assert_eq!(next("rate"), "rate");
    let risk_free_rate = number(next("rate"));
    assert_eq!(next("positions"), "positions");
    let m: usize = next("position count").parse().expect("position count");
    let positions = (0..m)
        .map(|_| {
            let asset_index: u32 = next("asset index").parse().expect("asset index");
            let quantity = number(next("quantity"));
            let kind = next("instrument");
            let strike = number(next("strike"));
            let expiry_years = number(next("expiry"));
            let instrument = match kind.as_str() {
                "spot" => Instrument::Spot,
                "call" => Instrument::European { kind: OptionKind::Call, strike, expiry_years },
                "put" => Instrument::European { kind: OptionKind::Put, strike, expiry_years },
                other => panic!("unknown instrument {other}"),
            };
            Position { asset_index, quantity, instrument }
        })
        .collect();
    Portfolio { assets, dependence: Dependence::Correlation(correlation), risk_free_rate, positions }
}
