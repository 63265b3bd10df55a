//! A PostgreSQL server on loopback for tests.
