//! Third-party peers started on loopback for integration tests.
//!
//! Each peer is a child process bound to `127.0.0.1` on a free port, in a
//! throwaway working folder, and is killed when its handle drops. Starting a
//! peer follows the skip rule of [`crate::require`]: `None` (with a printed
//! skip) when the program is not installed outside CI, a panic under CI.
//!
//! `scripts/test` installs the peers: Mosquitto from Debian's packages and
//! goosebit into a virtual environment under `target/peers/`.

mod goosebit;
pub mod goosebit_admin;
mod mosquitto;
mod postgres;
mod process;

pub use goosebit::{Goosebit, TENANT as GOOSEBIT_TENANT};
pub use mosquitto::{Mosquitto, MosquittoOptions, MosquittoTls};
pub use postgres::Postgres;
pub use process::free_port;
