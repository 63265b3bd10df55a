//! Building an engine.

use super::{Engine, EngineConfig};
use crate::error::Result;
use crate::journal::{JournalStore, MemoryJournal};
use crate::plan::Planner;
use crate::registry::ExternalRegistry;
use std::sync::Arc;

/// Builds an [`Engine`]: the two registries and the planner are required,
/// the journal and the settings have defaults.
///
/// ```
/// # use registry_sync::{Engine, ExternalRegistry, Planner};
/// # use registry_sync::engine::EngineConfig;
/// # use registry_sync::journal::FileJournal;
/// # use std::sync::Arc;
/// # fn build(master: Arc<dyn ExternalRegistry>, replica: Arc<dyn ExternalRegistry>, planner: Planner, dir: &std::path::Path) -> registry_sync::Result<Engine> {
/// let mut config = EngineConfig::new();
/// config.concurrency(16).bulk_threshold(500);
/// Engine::builder(master, replica, planner)
///     .journal(Arc::new(FileJournal::open(dir.join("journal"))?))
///     .config(&config)
///     .build()
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct EngineBuilder {
    master: Arc<dyn ExternalRegistry>,
    replica: Arc<dyn ExternalRegistry>,
    planner: Planner,
    journal: Option<Arc<dyn JournalStore>>,
    config: EngineConfig,
}

impl EngineBuilder {
    /// An engine keeping `replica` in step with `master` as `planner` decides.
    pub fn new(
        master: Arc<dyn ExternalRegistry>,
        replica: Arc<dyn ExternalRegistry>,
        planner: Planner,
    ) -> Self {
        Self {
            master,
            replica,
            planner,
            journal: None,
            config: EngineConfig::new(),
        }
    }

    /// Where plans and outcomes are journaled (default: a fresh
    /// [`MemoryJournal`], which a crash loses, so operations in flight at a
    /// crash are neither resumed nor known). For crash safety give a
    /// [`FileJournal`](crate::journal::FileJournal) or, with feature
    /// `postgres`, a `PostgresJournal`.
    pub fn journal(&mut self, journal: Arc<dyn JournalStore>) -> &mut Self {
        self.journal = Some(journal);
        self
    }

    /// The settings (default [`EngineConfig::new`]).
    pub fn config(&mut self, config: &EngineConfig) -> &mut Self {
        self.config = config.clone();
        self
    }

    /// The engine.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidConfig`](crate::ErrorKind::InvalidConfig) naming
    /// the first setting out of range.
    pub fn build(&self) -> Result<Engine> {
        self.config.validate()?;
        let journal = match &self.journal {
            Some(j) => Arc::clone(j),
            None => Arc::new(MemoryJournal::new()),
        };
        Ok(Engine::from_parts(
            Arc::clone(&self.master),
            Arc::clone(&self.replica),
            self.planner.clone(),
            journal,
            self.config.clone(),
        ))
    }
}
