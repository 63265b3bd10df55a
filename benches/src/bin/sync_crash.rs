//! Kills the sync engine at seeded random points of a 10,000-device sync,
//! restarts it, and checks (issue 6) that the registries converge and the
//! journal shows each operation applied exactly once.
//!
//! `cargo run --release -p benches --bin sync_crash -- --kills 9 --seed 6`
//!
//! The kill is `registry_sync::journal::CrashAfter` over the file journal:
//! after `limit` durable records the next append writes what fits and fails,
//! and from then on the "dead" process reaches neither the journal nor the
//! replica (the replica is taken offline at the kill). Some kills also leave a
//! torn frame at the end of the file, as a process killed inside `write`
//! would. The restart is a new engine on the plain file journal. Kill points
//! are drawn uniformly from the record boundaries of a clean run of the same
//! sync, with a seeded generator; the write path (single calls, bulk calls,
//! import jobs) rotates with the kill. Time is real, with retry and job-poll
//! delays shortened to 10 ms.

use clap::{Parser, ValueEnum};
use registry_sync::connectors::memory::MemoryRegistry;
use registry_sync::engine::{EngineConfig, RetryPolicy};
use registry_sync::journal::{CrashAfter, FileJournal, JournalStore, audit};
use registry_sync::plan::{DirectMapping, MassDeleteGuard};
use registry_sync::{DeviceRecord, Engine, Planner, Policy, Scope};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

const OWNER: (&str, &str) = ("managedBy", "hub1");

#[derive(Parser, Debug)]
#[command(about = "kill the engine at random points of a sync, restart, audit")]
struct Args {
    /// Master devices.
    #[arg(long, default_value_t = 10_000)]
    devices: usize,
    /// Kills (each on a fresh pair of registries).
    #[arg(long, default_value_t = 9)]
    kills: usize,
    /// Seed of the kill points.
    #[arg(long, default_value_t = 6)]
    seed: u64,
    /// Where kills may fall: any record boundary, or only after the whole
    /// plan is journaled (while operations are being applied).
    #[arg(long, value_enum, default_value_t = Phase::Any)]
    phase: Phase,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Phase {
    /// Any record boundary of the sync (about half of them are plan records).
    Any,
    /// Only boundaries after the run start and every plan record.
    Apply,
}

/// splitmix64: a small, well-known seeded generator (no dependency needed).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % (n.max(1) as u64)) as usize
    }
}

#[derive(Clone, Copy, Debug)]
enum Route {
    Single,
    Bulk,
    Job,
}

const ROUTES: [Route; 3] = [Route::Single, Route::Bulk, Route::Job];

/// Master: `n` devices. Replica: outdated copies of every other master
/// device and `n / 10` owned devices the master no longer has. The sync has
/// `n / 2` creates, `n / 2` updates and `n / 10` deletes.
struct Fixture {
    master: Arc<MemoryRegistry>,
    replica: Arc<MemoryRegistry>,
    expected_ops: usize,
}

fn fixture(n: usize) -> Fixture {
    let master = Arc::new(MemoryRegistry::new("hub"));
    let replica = Arc::new(MemoryRegistry::new("tenant"));
    let dev = |i: usize| DeviceRecord::new(format!("dev-{i:06}")).with_attribute("fw", "2.1");
    master.seed((0..n).map(dev));
    let stale = (0..n).filter(|i| i % 2 == 1).map(|i| {
        dev(i)
            .with_attribute("fw", "1.9")
            .with_tag(OWNER.0, OWNER.1)
    });
    let gone =
        (0..n / 10).map(|i| DeviceRecord::new(format!("old-{i:06}")).with_tag(OWNER.0, OWNER.1));
    replica.seed(stale.chain(gone));
    Fixture {
        master,
        replica,
        expected_ops: n / 2 + n / 2 + n / 10 + (n % 2),
    }
}

fn planner() -> registry_sync::Result<Planner> {
    let mut policy = Policy::new(Scope::tag(OWNER.0, OWNER.1));
    policy.guard(MassDeleteGuard::new().max_fraction(1.0).min_count(0));
    Planner::new(&policy, Arc::new(DirectMapping))
}

fn config(route: Route) -> EngineConfig {
    let mut quick = RetryPolicy::new();
    quick
        .max_attempts(3)
        .initial_delay(Duration::from_millis(10))
        .max_delay(Duration::from_millis(10))
        .time_limit(Duration::from_secs(2))
        .jitter(0.0);
    let mut cfg = EngineConfig::new();
    // Keep every record: the audit covers the killed run too.
    cfg.retry(&quick).job_poll(&quick).compact_journal(false);
    match route {
        Route::Single => cfg.bulk_threshold(usize::MAX).job_threshold(usize::MAX),
        Route::Bulk => cfg.job_threshold(usize::MAX),
        Route::Job => cfg.bulk_threshold(usize::MAX).job_threshold(1),
    };
    cfg
}

fn engine(
    f: &Fixture,
    journal: Arc<dyn JournalStore>,
    route: Route,
) -> registry_sync::Result<Engine> {
    Engine::builder(f.master.clone(), f.replica.clone(), planner()?)
        .journal(journal)
        .config(&config(route))
        .build()
}

/// What a kill inside `write` leaves at the end of the file.
fn tear(path: &Path, variant: u64) -> std::io::Result<&'static str> {
    let mut file = std::fs::OpenOptions::new().append(true).open(path)?;
    Ok(match variant % 3 {
        0 => {
            // A header promising 255 bytes, followed by a few.
            file.write_all(&[255, 0, 0, 0, 1, 2, 3, 4, b'{', b'"', b't'])?;
            "torn frame"
        }
        1 => {
            file.write_all(&[40, 0, 0])?;
            "half header"
        }
        _ => "clean cut",
    })
}

/// Records a clean run of the sync writes on `route`.
async fn records_of_clean_run(n: usize, route: Route) -> Result<usize, Box<dyn std::error::Error>> {
    let f = fixture(n);
    let dir = tempfile::tempdir()?;
    let journal = Arc::new(FileJournal::open(dir.path().join("journal"))?);
    engine(&f, journal.clone(), route)?.sync_once().await?;
    Ok(journal.load().await?.len())
}

async fn kill_and_resume(
    n: usize,
    route: Route,
    limit: usize,
    tear_variant: u64,
) -> Result<String, Box<dyn std::error::Error>> {
    let f = fixture(n);
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("journal");
    let replica = f.replica.clone();
    let killed = Arc::new(CrashAfter::new(
        FileJournal::open(&path)?,
        limit,
        move || {
            replica.set_offline(true);
        },
    ));
    let started = Instant::now();
    let first = engine(&f, killed.clone(), route)?.sync_once().await;
    let first_time = started.elapsed();
    if first.is_ok() || !killed.crashed().await {
        return Err(format!("limit {limit}: the engine was not killed").into());
    }
    let writes_before_restart = f.replica.mutations().len();
    let tail = tear(&path, tear_variant)?;

    // Restart: a new engine on the plain journal, the replica reachable.
    f.replica.set_offline(false);
    let journal = Arc::new(FileJournal::open(&path)?);
    let started = Instant::now();
    let report = engine(&f, journal.clone(), route)?.sync_once().await?;
    let resume_time = started.elapsed();

    let converged = planner()?
        .plan(&f.master.snapshot(), &f.replica.snapshot())?
        .is_empty();
    let a = audit(&journal.load().await?);
    let mut per_device: BTreeMap<String, usize> = BTreeMap::new();
    for m in f.replica.mutations() {
        *per_device.entry(m.id.to_string()).or_default() += 1;
    }
    let written_once = per_device.len() == f.expected_ops && per_device.values().all(|c| *c == 1);
    let ok = converged
        && a.is_exactly_once()
        && a.failed == 0
        && a.planned == f.expected_ops
        && a.applied + a.already_applied == a.planned
        && written_once;
    let line = format!(
        "{route:?} route, killed after {limit} records ({tail}) in {first_time:.2?} with {writes_before_restart} replica writes done; \
         resumed runs {:?} in {resume_time:.2?}: planned {}, applied {}, already applied {}, failed {}, duplicated {}, unfinished {}, orphaned {}; \
         devices written {} (each once: {written_once}); converged {converged}",
        report.runs,
        a.planned,
        a.applied,
        a.already_applied,
        a.failed,
        a.duplicated.len(),
        a.unfinished.len(),
        a.orphaned.len(),
        per_device.len(),
    );
    if ok {
        Ok(line)
    } else {
        Err(format!("FAILED: {line}").into())
    }
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let mut rng = Rng(args.seed);
    let mut totals = Vec::new();
    for route in ROUTES {
        let total = records_of_clean_run(args.devices, route).await?;
        println!("{route:?} route: a clean sync writes {total} journal records");
        totals.push(total);
    }
    let expected = fixture(args.devices).expected_ops;
    println!(
        "{} master devices, {expected} operations per sync, {} kills, seed {}, phase {:?}",
        args.devices, args.kills, args.seed, args.phase
    );
    let mut failures = 0;
    for k in 0..args.kills {
        let route = ROUTES[k % ROUTES.len()];
        let total = totals[k % ROUTES.len()];
        // A kill strictly inside the sync: at least one record short of the end.
        let limit = match args.phase {
            Phase::Any => rng.below(total),
            // The run start and one plan record per operation come first.
            Phase::Apply => {
                let first = 1 + expected;
                first + rng.below(total.saturating_sub(first))
            }
        };
        let tear_variant = rng.next();
        match kill_and_resume(args.devices, route, limit, tear_variant).await {
            Ok(line) => println!("kill {}: ok: {line}", k + 1),
            Err(e) => {
                failures += 1;
                println!("kill {}: {e}", k + 1);
            }
        }
    }
    println!(
        "{} of {} kills converged with every operation applied exactly once",
        args.kills - failures,
        args.kills
    );
    if failures == 0 {
        Ok(())
    } else {
        Err(format!("{failures} kills failed the audit").into())
    }
}
