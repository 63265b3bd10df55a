//! The registries and event sources this crate ships.
//!
//! | module | feature | what |
//! | --- | --- | --- |
//! | [`event_grid`] | — | IoT Hub events from Event Grid (both schemas) decoded, and an inbox from a webhook to [`Engine::run`](crate::Engine::run) |
//! | [`lifecycle`] | — | IoT Hub lifecycle notifications from a message route decoded |
//! | `iothub` | `iothub` | an Azure IoT Hub over its REST data plane |
//! | `hawkbit` | `hawkbit` | a hawkBit tenant over the Management API (attributes over DDI), and its change feed |
//! | `memory` | `memory` | an in-memory registry with fault injection, for tests, examples and demos |

pub mod event_grid;
#[cfg(feature = "hawkbit")]
#[cfg_attr(docsrs, doc(cfg(feature = "hawkbit")))]
pub mod hawkbit;
#[cfg(feature = "iothub")]
#[cfg_attr(docsrs, doc(cfg(feature = "iothub")))]
pub mod iothub;
pub mod lifecycle;
#[cfg(feature = "memory")]
#[cfg_attr(docsrs, doc(cfg(feature = "memory")))]
pub mod memory;
