//! What a registry declares it supports.

/// What a registry supports; the engine picks its paths from this.
///
/// Built like the crate's settings: [`Capabilities::new`] then one setter per
/// capability, read back with the `get_*` methods.
///
/// ```
/// use registry_sync::registry::Capabilities;
/// let mut caps = Capabilities::new();
/// caps.max_bulk(Some(100)).soft_delete(true);
/// assert_eq!(caps.get_max_bulk(), Some(100));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Capabilities {
    max_bulk: Option<usize>,
    soft_delete: bool,
    etags: bool,
    max_page_size: usize,
    import_jobs: bool,
}

impl Capabilities {
    /// No bulk API, no native soft delete, etags honoured, pages of 100, no
    /// import jobs.
    pub fn new() -> Self {
        Self {
            max_bulk: None,
            soft_delete: false,
            etags: true,
            max_page_size: 100,
            import_jobs: false,
        }
    }

    /// The largest batch [`ExternalRegistry::apply_bulk`](super::ExternalRegistry::apply_bulk)
    /// accepts (default `None`: no bulk API; `Some(0)` counts as `None`).
    pub fn max_bulk(&mut self, max: Option<usize>) -> &mut Self {
        self.max_bulk = max.filter(|m| *m > 0);
        self
    }

    /// Whether [`ExternalRegistry::disable`](super::ExternalRegistry::disable)
    /// is native (default false: emulated by get + update).
    pub fn soft_delete(&mut self, yes: bool) -> &mut Self {
        self.soft_delete = yes;
        self
    }

    /// Whether writes honour [`Precondition::IfMatch`](crate::plan::Precondition::IfMatch)
    /// (default true).
    pub fn etags(&mut self, yes: bool) -> &mut Self {
        self.etags = yes;
        self
    }

    /// The largest page [`ExternalRegistry::list`](super::ExternalRegistry::list)
    /// returns (default 100; 0 counts as 1).
    pub fn max_page_size(&mut self, size: usize) -> &mut Self {
        self.max_page_size = size.max(1);
        self
    }

    /// Whether [`ExternalRegistry::start_import_job`](super::ExternalRegistry::start_import_job)
    /// is available (default false; IoT Hub import jobs).
    pub fn import_jobs(&mut self, yes: bool) -> &mut Self {
        self.import_jobs = yes;
        self
    }

    /// The bulk batch limit, `None` without a bulk API.
    pub fn get_max_bulk(&self) -> Option<usize> {
        self.max_bulk
    }

    /// Whether soft delete is native.
    pub fn get_soft_delete(&self) -> bool {
        self.soft_delete
    }

    /// Whether etags are honoured.
    pub fn get_etags(&self) -> bool {
        self.etags
    }

    /// The page size limit (at least 1).
    pub fn get_max_page_size(&self) -> usize {
        self.max_page_size
    }

    /// Whether import jobs are available.
    pub fn get_import_jobs(&self) -> bool {
        self.import_jobs
    }
}

impl Default for Capabilities {
    fn default() -> Self {
        Self::new()
    }
}
