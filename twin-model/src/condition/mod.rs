//! The IoT Hub query condition language of configurations'
//! `targetCondition`: parser with error positions, a compiled evaluator
//! over typed twins, configuration resolution by priority, and translation
//! to hawkBit target filter queries (RSQL/FIQL).
//!
//! ```
//! use twin_model::condition::Condition;
//! use twin_model::iothub::twin::Twin;
//!
//! let cond = Condition::parse("tags.env = 'prod' AND properties.reported.fw.version IN ['1.0', '1.1']")?;
//! let compiled = cond.compile();
//! let twin: Twin = serde_json::from_str(
//!     r#"{"deviceId":"d1","tags":{"env":"prod"},"properties":{"reported":{"fw":{"version":"1.1"}}}}"#,
//! )?;
//! assert!(compiled.matches(&twin));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod ast;
mod error;
mod eval;
mod lexer;
mod parser;
pub mod resolve;
pub mod rsql;

pub use ast::{Condition, Expr};
pub use error::{ParseError, ParseErrorKind};
pub use eval::{CompiledCondition, Truth};
