//! The MQTT binding (feature `mqtt`): manager and agent runtimes on rumqttc.
//!
//! Every publication is QoS 1; only current state is retained. Each
//! connection keeps its own outbox: messages published while offline are
//! sent after reconnecting, and messages the broker had not acknowledged are
//! sent again (at least once). Reconnects back off exponentially. Because a
//! restarted broker forgets subscriptions, the manager re-sends the pending
//! command or desired state after a reconnect and agents re-send their last
//! feedback; both sides answer repeats idempotently, so an activity survives
//! a broker restart. Our sockets set `TCP_NODELAY` (rumqttc's
//! `NetworkOptions::set_tcp_nodelay`).

mod agent_service;
mod connection;
#[cfg(feature = "test-support")]
pub mod harness;
mod manager_service;
mod settings;

pub use agent_service::AgentHandle;
pub use connection::{ConnectionEvent, MqttClient};
pub use manager_service::{CloudMode, ManagerEvent, ManagerHandle};
#[cfg(feature = "mqtt-tls")]
pub use settings::TlsSettings;
pub use settings::{MqttSettings, SettingsError};
