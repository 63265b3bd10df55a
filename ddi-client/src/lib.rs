//! `ddi-client`: under construction.

pub mod model;
