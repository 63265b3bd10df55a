//! `desired-state`: under construction.
