//! The registry HTTP facade (see `examples::facade`): providers create and
//! delete their devices in an IoT Hub through it.
//!
//! ```sh
//! # against testkit's IoT Hub simulator, started in process:
//! cargo run -p examples --bin registry-facade -- --listen 127.0.0.1:8080
//! # against a real hub:
//! cargo run -p examples --bin registry-facade -- \
//!     --connection-string 'HostName=myhub.azure-devices.net;SharedAccessKeyName=registryReadWrite;SharedAccessKey=...'
//! curl -X PUT localhost:8080/providers/acme/devices/meter-1 -d '{"tags":{"site":"north"}}' \
//!     -H 'content-type: application/json'
//! curl -X DELETE localhost:8080/providers/acme/devices/meter-1
//! ```

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use examples::facade::{FacadeConfig, router};
use registry_sync::connectors::iothub::{ConnectionString, IotHubConfig, IotHubRegistry};

/// Command-line options.
#[derive(Debug, Parser)]
#[command(about = "HTTP facade: providers create and delete devices in an IoT Hub")]
struct Options {
    /// Where to listen.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// The hub's service connection string (registry write rights); without
    /// it, testkit's IoT Hub simulator runs in process.
    #[arg(long)]
    connection_string: Option<String>,
    /// Let `DELETE ...?hard=true` really delete (default: every delete disables).
    #[arg(long)]
    allow_hard_delete: bool,
}

#[tokio::main]
async fn main() -> ExitCode {
    let options = Options::parse();
    examples::logging::init("info");
    // Kept alive for as long as the facade runs.
    let mut simulator = None;
    let config = match &options.connection_string {
        Some(cs) => match ConnectionString::parse(cs) {
            Ok(cs) => IotHubConfig::new(cs),
            Err(e) => {
                eprintln!("registry-facade: {e}");
                return ExitCode::FAILURE;
            }
        },
        None => {
            let server = testkit::iothub::IotHubServer::start("facade-hub");
            let Some(cs) = server
                .connection_string(None)
                .and_then(|cs| ConnectionString::parse(&cs).ok())
            else {
                eprintln!("registry-facade: the simulator gave no connection string");
                return ExitCode::FAILURE;
            };
            eprintln!("registry-facade: simulated IoT Hub at {}", server.url());
            let mut config = IotHubConfig::new(cs);
            config.base_url(server.url());
            simulator = Some(server);
            config
        }
    };
    let hub = match IotHubRegistry::new(&config) {
        Ok(h) => Arc::new(h),
        Err(e) => {
            eprintln!("registry-facade: {e}");
            return ExitCode::FAILURE;
        }
    };
    let facade = FacadeConfig {
        allow_hard_delete: options.allow_hard_delete,
    };
    let listener = match tokio::net::TcpListener::bind(options.listen).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("registry-facade: cannot listen on {}: {e}", options.listen);
            return ExitCode::FAILURE;
        }
    };
    eprintln!("registry-facade: listening on http://{}", options.listen);
    let served = axum::serve(listener, router(hub, facade))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await;
    drop(simulator);
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("registry-facade: {e}");
            ExitCode::FAILURE
        }
    }
}
