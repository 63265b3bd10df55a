//! Mappings between IoT Hub twins, hawkBit targets and deployments, AWS
//! shadows and Ditto things. Each mapping states what it cannot carry and
//! reports it to the caller instead of dropping it silently.

pub mod attributes;
pub mod deployment;
pub mod ditto_shadow;
pub mod edge_modules;
pub mod flatten;
pub mod ids;
pub mod shadow;
pub mod tags;
pub mod value_text;
