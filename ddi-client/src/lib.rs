//! `ddi-client`: under construction.

pub mod agent;
pub mod backoff;
pub mod client;
pub mod download;
pub mod error;
pub mod model;

pub use backoff::Backoff;
pub use client::{Auth, Client, ClientBuilder, Controller, DownloadAuth, PollResponse};
pub use error::{Error, ErrorKind, Result, RetryClass};
