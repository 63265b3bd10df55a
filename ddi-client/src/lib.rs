//! `ddi-client`: under construction.
