//! A PostgreSQL journal store.
