//! Times activities across five no-op domains on a running broker.
//!
//! ```text
//! cargo run --release -p desired-state --example activity_harness -- <port> [components] [runs] [chatty]
//! ```

use desired_state::mqtt::harness::{ActivityHarness, HarnessOptions};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let port: u16 = args
        .get(1)
        .ok_or("usage: activity_harness <port> [components] [runs] [chatty]")?
        .parse()?;
    let components: usize = args.get(2).map_or(Ok(1000), |s| s.parse())?;
    let runs: usize = args.get(3).map_or(Ok(5), |s| s.parse())?;
    let chatty = args.get(4).is_some_and(|s| s == "chatty");
    let mut options = HarnessOptions::new(port);
    options.chatty = chatty;
    options.timeout = std::time::Duration::from_secs(20);
    let mut h = ActivityHarness::start(&options).await?;
    eprintln!("harness ready");
    let mut times = Vec::new();
    for _ in 0..runs {
        let out = h.run(components).await?;
        if !out.completed() {
            return Err(format!(
                "activity ended {:?}: {}",
                out.feedback.status, out.feedback.message
            )
            .into());
        }
        eprintln!("run: {:?}", out.elapsed);
        times.push(out.elapsed);
    }
    h.stop().await;
    times.sort();
    let median = times.get(times.len() / 2).copied().unwrap_or_default();
    println!("components={components} chatty={chatty} runs={runs} median={median:?} all={times:?}");
    Ok(())
}
