//! `twin-model`: under construction.
