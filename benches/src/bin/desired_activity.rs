//! desired-state: one activity end to end (publish the desired state, wait for
//! COMPLETED) with our manager and five no-op agents over a broker on
//! loopback, next to Kanto's figures from issue 7.
//!
//! `cargo run --release -p benches --bin desired_activity` starts Mosquitto
//! itself (testkit) twice, once with `set_tcp_nodelay true` and once with a
//! stock configuration; `--embedded` also runs over testkit's in-process
//! broker. Kanto's figures were measured by others on this machine kind, not
//! in the same run, so the ratios are indicative only.

use std::time::Duration;

use clap::Parser;
use desired_state::mqtt::harness::{ActivityHarness, HarnessOptions};
use testkit::peers::{Mosquitto, MosquittoOptions};

#[derive(Debug, Parser)]
#[command(about = "desired-state activity latency against Kanto's figures")]
struct Args {
    /// Runs per size (the median is reported).
    #[arg(long, default_value_t = 9)]
    runs: usize,
    /// Consecutive chatty activities in the soak.
    #[arg(long, default_value_t = 100)]
    soak: usize,
    /// Also run over testkit's embedded broker.
    #[arg(long)]
    embedded: bool,
    /// Only the embedded broker (no Mosquitto).
    #[arg(long)]
    embedded_only: bool,
}

/// Kanto's median on a nodelay broker, ms, per component count (issue 7).
const KANTO_NODELAY: &[(usize, f64)] = &[(5, 10.0), (100, 12.0), (1_000, 41.0), (5_000, 187.0)];
/// Kanto on a stock broker config, every size, ms.
const KANTO_STOCK_MS: f64 = 260.0;
/// Kanto with chatty agents at 1,000 components, ms.
const KANTO_CHATTY_MS: f64 = 1_850.0;
const CHATTY_GOAL_MS: f64 = 200.0;
const GOAL_1000_MS: f64 = 20.0;

/// The figures of one broker.
#[derive(Debug)]
struct BrokerFigures {
    name: &'static str,
    /// (components, median ms, min ms, max ms)
    sizes: Vec<(usize, f64, f64, f64)>,
    chatty_median_ms: Option<f64>,
    soak: Option<SoakResult>,
}

#[derive(Debug)]
struct SoakResult {
    completed: usize,
    total: usize,
    worst_ms: f64,
    failures: Vec<String>,
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn median(mut v: Vec<f64>) -> (f64, f64, f64) {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    let mid = if n == 0 {
        f64::NAN
    } else if n % 2 == 1 {
        v[n / 2]
    } else {
        f64::midpoint(v[n / 2 - 1], v[n / 2])
    };
    (
        mid,
        v.first().copied().unwrap_or(f64::NAN),
        v.last().copied().unwrap_or(f64::NAN),
    )
}

fn options(port: u16, chatty: bool) -> HarnessOptions {
    let mut o = HarnessOptions::new(port);
    o.chatty = chatty;
    o.timeout = Duration::from_secs(60);
    o
}

/// Runs `runs` activities of `components` (after one warm-up) and returns
/// their times in ms; an activity that does not complete is an error.
async fn sizes(
    h: &mut ActivityHarness,
    components: usize,
    runs: usize,
) -> Result<Vec<f64>, String> {
    let mut times = Vec::with_capacity(runs);
    for i in 0..=runs {
        let out = h
            .run(components)
            .await
            .map_err(|e| format!("{components} components, run {i}: {e}"))?;
        if !out.completed() {
            return Err(format!(
                "{components} components, run {i}: ended {:?}",
                out.feedback.status
            ));
        }
        if i > 0 {
            times.push(ms(out.elapsed));
        }
    }
    Ok(times)
}

async fn measure(
    name: &'static str,
    port: u16,
    args: &Args,
    with_chatty: bool,
) -> Result<BrokerFigures, String> {
    let mut figures = BrokerFigures {
        name,
        sizes: Vec::new(),
        chatty_median_ms: None,
        soak: None,
    };
    let mut h = ActivityHarness::start(&options(port, false))
        .await
        .map_err(|e| format!("{name}: harness did not start: {e}"))?;
    for (n, _) in KANTO_NODELAY {
        let (m, lo, hi) = median(sizes(&mut h, *n, args.runs).await?);
        eprintln!("{name}: {n} components: median {m:.1} ms (min {lo:.1}, max {hi:.1})");
        figures.sizes.push((*n, m, lo, hi));
    }
    h.stop().await;
    if !with_chatty {
        return Ok(figures);
    }
    let mut h = ActivityHarness::start(&options(port, true))
        .await
        .map_err(|e| format!("{name}: chatty harness did not start: {e}"))?;
    let (m, lo, hi) = median(sizes(&mut h, 1_000, args.runs).await?);
    eprintln!("{name}: chatty 1000 components: median {m:.1} ms (min {lo:.1}, max {hi:.1})");
    figures.chatty_median_ms = Some(m);
    let mut soak = SoakResult {
        completed: 0,
        total: args.soak,
        worst_ms: 0.0,
        failures: Vec::new(),
    };
    for i in 0..args.soak {
        match h.run(1_000).await {
            Ok(out) if out.completed() => {
                soak.completed += 1;
                soak.worst_ms = soak.worst_ms.max(ms(out.elapsed));
            }
            Ok(out) => soak
                .failures
                .push(format!("activity {i} ended {:?}", out.feedback.status)),
            // A timeout here is the hang the soak looks for.
            Err(e) => soak.failures.push(format!("activity {i}: {e}")),
        }
    }
    eprintln!(
        "{name}: soak {}/{} completed, worst {:.1} ms",
        soak.completed, soak.total, soak.worst_ms
    );
    figures.soak = Some(soak);
    h.stop().await;
    Ok(figures)
}

fn verdict(ok: bool) -> &'static str {
    if ok { "met" } else { "NOT met" }
}

/// Which goals a table is judged against: the goals are for
/// Mosquitto with `set_tcp_nodelay true`; the other brokers are reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Judged {
    Goals,
    Reported,
}

fn print_sizes(f: &BrokerFigures, judged: Judged, kanto: impl Fn(usize) -> f64) {
    println!("\n{}:", f.name);
    println!(
        "| components | ours median ms (min-max) | Kanto ms | ours/Kanto | goal <= half of Kanto |"
    );
    println!("|---:|---:|---:|---:|---|");
    for (n, m, lo, hi) in &f.sizes {
        let k = kanto(*n);
        let mut goal = if judged == Judged::Goals {
            verdict(*m <= k / 2.0).to_owned()
        } else {
            format!(
                "no goal ({})",
                if *m <= k / 2.0 {
                    "would be met"
                } else {
                    "would not be met"
                }
            )
        };
        if *n == 1_000 && judged == Judged::Goals {
            goal.push_str(&format!(
                "; <= {GOAL_1000_MS} ms: {}",
                verdict(*m <= GOAL_1000_MS)
            ));
        }
        println!(
            "| {n} | {m:.1} ({lo:.1}-{hi:.1}) | {k:.0} | {:.2} | {goal} |",
            m / k
        );
    }
    if let Some(c) = f.chatty_median_ms {
        println!(
            "| 1000 chatty | {c:.1} | {KANTO_CHATTY_MS:.0} | {:.3} | < {CHATTY_GOAL_MS} ms: {}{} |",
            c / KANTO_CHATTY_MS,
            verdict(c < CHATTY_GOAL_MS),
            if judged == Judged::Goals {
                ""
            } else {
                " (informational)"
            }
        );
    }
    if let Some(s) = &f.soak {
        println!(
            "soak: {}/{} consecutive chatty activities (1000 components) completed, worst {:.1} ms: {}",
            s.completed,
            s.total,
            s.worst_ms,
            verdict(s.completed == s.total)
        );
        for failure in &s.failures {
            println!("  FAILURE: {failure}");
        }
    }
}

/// Which broker a table measured.
#[derive(Debug, Clone, Copy)]
enum Table {
    MosquittoNodelay,
    MosquittoStock,
    Embedded,
}

fn kanto_nodelay(n: usize) -> f64 {
    KANTO_NODELAY
        .iter()
        .find(|(k, _)| *k == n)
        .map_or(f64::NAN, |(_, v)| *v)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let mut all = Vec::new();
    let mut errors = Vec::new();
    if !args.embedded_only {
        let nodelay = MosquittoOptions {
            tcp_nodelay: true,
            ..MosquittoOptions::default()
        };
        let Some(broker) = Mosquitto::start_with(&nodelay) else {
            eprintln!("mosquitto is not installed; try --embedded-only");
            return std::process::ExitCode::FAILURE;
        };
        match measure(
            "mosquitto, set_tcp_nodelay true",
            broker.port(),
            &args,
            true,
        )
        .await
        {
            Ok(f) => all.push((f, Table::MosquittoNodelay)),
            Err(e) => errors.push(e),
        }
        drop(broker);
        let Some(broker) = Mosquitto::start_with(&MosquittoOptions::default()) else {
            return std::process::ExitCode::FAILURE;
        };
        match measure("mosquitto, stock config", broker.port(), &args, false).await {
            Ok(f) => all.push((f, Table::MosquittoStock)),
            Err(e) => errors.push(e),
        }
        drop(broker);
    }
    if args.embedded || args.embedded_only {
        // On its own thread, as a demo process would run it beside its
        // clients: broker and clients do not share the two worker threads.
        match testkit::broker::Broker::start_in_thread() {
            Ok(broker) => {
                let port = broker.port();
                match measure("testkit embedded broker (own thread)", port, &args, true).await {
                    Ok(f) => all.push((f, Table::Embedded)),
                    Err(e) => errors.push(e),
                }
                broker.stop().await;
            }
            Err(e) => errors.push(format!("embedded broker did not start: {e}")),
        }
    }
    println!(
        "desired-state activity, publish desired state -> COMPLETED, 5 no-op agents, our manager; runs per size: {} (median)",
        args.runs
    );
    println!(
        "Kanto's figures are from issue 7 (Kanto's Go update manager, Mosquitto 2.0.11, measured by others on this machine kind), NOT from this run."
    );
    for (f, kind) in &all {
        match kind {
            Table::MosquittoNodelay => print_sizes(f, Judged::Goals, kanto_nodelay),
            Table::MosquittoStock => print_sizes(f, Judged::Reported, |_| KANTO_STOCK_MS),
            Table::Embedded => print_sizes(f, Judged::Reported, kanto_nodelay),
        }
    }
    for e in &errors {
        println!("FAILURE: {e}");
    }
    let soak_failed = all
        .iter()
        .filter_map(|(f, _)| f.soak.as_ref())
        .any(|s| s.completed != s.total);
    if errors.is_empty() && !soak_failed {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::FAILURE
    }
}
