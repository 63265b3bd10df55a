//! Log output of the example binaries: to stderr (stdout carries their
//! results), filtered by `RUST_LOG` or else `default`.

/// Installs the subscriber.
pub fn init(default: &str) {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default)),
        )
        .init();
}
