//! `registry-sync`: under construction.
