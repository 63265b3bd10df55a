//! A PostgreSQL journal store (feature `postgres`): the journal of a sync
//! kept in a database table, so a service running several replicas can hand
//! a sync from one replica to another.
//!
//! The schema, the contract and the replica rules are documented on
//! [`PostgresJournal`], which is the public face of this module.

use super::JournalStore;
use super::record::JournalRecord;
use crate::error::{Error, ErrorKind, Result};
use async_trait::async_trait;
use futures_util::future::BoxFuture;
use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;
use tokio_postgres::tls::{MakeTlsConnect, TlsConnect};
use tokio_postgres::{Client, Config, Socket, Statement};

/// The table holding every journal.
const TABLE: &str = "registry_sync_journal";
/// Serializes schema creation between processes starting at once.
const SCHEMA_LOCK_SEED: &[u8] = b"registry-sync journal schema";
const LOCK_SEED: &[u8] = b"registry-sync journal\0";

/// Another engine holds this journal (the source of the [`ErrorKind::Journal`]
/// error from [`PostgresJournal::connect`] or a reconnect).
#[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("journal {name:?} is held by another engine")]
pub struct JournalLocked {
    /// The journal's name.
    pub name: String,
}

impl JournalLocked {
    /// The [`JournalLocked`] cause of `error`, if that is why it failed.
    pub fn find(error: &Error) -> Option<&Self> {
        std::error::Error::source(error).and_then(|s| s.downcast_ref::<Self>())
    }
}

/// How a [`PostgresJournal`] connects and takes its journal. Every setter
/// documents its default.
#[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
#[derive(Debug, Clone)]
pub struct PostgresJournalOptions {
    lock_wait: Duration,
    connect_timeout: Duration,
}

impl Default for PostgresJournalOptions {
    fn default() -> Self {
        Self::new()
    }
}

impl PostgresJournalOptions {
    /// Fail at once when another engine holds the journal; 10 s connect timeout.
    pub fn new() -> Self {
        Self {
            lock_wait: Duration::ZERO,
            connect_timeout: Duration::from_secs(10),
        }
    }

    /// How long to wait for another engine to release the journal before
    /// failing with [`JournalLocked`] (default zero: fail at once).
    pub fn lock_wait(&mut self, wait: Duration) -> &mut Self {
        self.lock_wait = wait;
        self
    }

    /// The connect timeout when the connection string sets none (default 10 s).
    pub fn connect_timeout(&mut self, timeout: Duration) -> &mut Self {
        self.connect_timeout = timeout;
        self
    }
}

type Connect = Arc<dyn Fn(Config) -> BoxFuture<'static, Result<Client>> + Send + Sync>;

/// A live connection that holds the journal's lock.
struct Session {
    client: Client,
    insert: Statement,
    load: Statement,
    delete: Statement,
}

/// A [`JournalStore`] in a PostgreSQL table, one journal per name.
///
/// # Schema
///
/// Every journal lives in one table, created when missing (the connecting
/// role then needs `CREATE` on the schema; an existing table only needs
/// `SELECT`, `INSERT` and `DELETE`). The table is found through the
/// connection's `search_path`, so a deployment picks the schema with
/// `options=-csearch_path=...` in its connection string.
///
/// ```sql
/// CREATE TABLE registry_sync_journal (
///     journal    text        NOT NULL,  -- the journal's name: one per sync
///     seq        bigint      GENERATED ALWAYS AS IDENTITY,  -- append order
///     record     bytea       NOT NULL,  -- one JournalRecord, JSON (UTF-8)
///     written_at timestamptz NOT NULL DEFAULT now(),
///     PRIMARY KEY (journal, seq)
/// );
/// ```
///
/// `record` holds exactly the JSON of the file journal's frame payload; it is
/// `bytea` rather than `jsonb` because `jsonb` (and `text`) cannot hold a NUL
/// character, which device tags may contain. Operators can read it with
/// `convert_from(record, 'UTF8')`. The table and the record JSON are a wire
/// format: versioned with the crate like the file frame format. The records
/// hold device credentials when the sync copies keys: grant the table to the
/// sync's role only.
///
/// # Contract
///
/// * `append` is committed by one `INSERT` statement (so one transaction)
///   with `synchronous_commit` forced on for the session: when it returns
///   `Ok`, every record is committed; when it fails, none or all are (a
///   connection lost during the commit leaves it unknown which, and `load`
///   says). Appends that wait while another commits are committed together
///   in the next `INSERT`, each append's records contiguous and in order
///   (group commit: one fsync for many concurrent outcomes).
/// * `load` returns the journal's rows ordered by `seq`. Appends of one
///   [`PostgresJournal`] are serialized on its single connection, and only
///   one [`PostgresJournal`] at a time can hold a journal name (below), so
///   `seq` order is append order.
/// * `compact` deletes the rows of completed runs exactly as
///   [`FileJournal`](super::FileJournal) drops them (a run with a
///   `RunCompleted` record loses all its records), in one `DELETE`.
///
/// # Several replicas
///
/// A [`PostgresJournal`] holds a session-level advisory lock on its journal
/// name for as long as its connection lives; a second one for the same name
/// (another replica, or the same process) fails to connect with a
/// [`ErrorKind::Journal`] error whose source is [`JournalLocked`] (find it
/// with [`JournalLocked::find`]), after waiting up to
/// [`PostgresJournalOptions::lock_wait`]. A standby replica retries its
/// connect; when the owner's process dies, its connection closes, the lock
/// is released, and the standby's engine resumes the journal's unfinished
/// operations exactly once. The lock key is the FNV-1a 64-bit hash of
/// `registry-sync journal\0<name>`, as a signed `bigint`.
///
/// A lost connection (server restart, network) fails the operation in
/// flight with [`ErrorKind::Journal`]; the next operation reconnects and takes
/// the lock again (failing with [`JournalLocked`] if another replica took the
/// journal in between). A replica cut off by a network partition keeps its
/// lock until the server notices the dead connection (TCP keepalive), so set
/// `keepalives_idle` in the connection string to bound a fail-over.
///
/// # Example
///
/// ```no_run
/// # async fn run() -> registry_sync::Result<()> {
/// use registry_sync::journal::{JournalStore, PostgresJournal};
/// let journal =
///     PostgresJournal::connect("postgresql://sync@db.internal/fleet", "hub-eu1-to-tenant").await?;
/// let records = journal.load().await?;
/// # let _ = records;
/// # Ok(())
/// # }
/// ```
#[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
pub struct PostgresJournal {
    name: String,
    lock_key: i64,
    config: Config,
    options: PostgresJournalOptions,
    connect: Connect,
    session: tokio::sync::Mutex<Option<Session>>,
    queue: std::sync::Mutex<Queue>,
}

/// Appends waiting for the session: whoever holds the session next commits
/// all of them in one `INSERT` (group commit), in the order they queued.
#[derive(Default)]
struct Queue {
    next_id: u64,
    waiting: Vec<Queued>,
}

struct Queued {
    id: u64,
    payloads: Vec<Vec<u8>>,
    done: tokio::sync::oneshot::Sender<bool>,
}

/// Takes an append out of the queue when its caller gives up (an error
/// before its commit, or the future dropped): records of an append that
/// returned or was cancelled must not be committed later by another.
struct Enqueued<'a> {
    queue: &'a std::sync::Mutex<Queue>,
    id: u64,
}

impl Drop for Enqueued<'_> {
    fn drop(&mut self) {
        lock(self.queue).waiting.retain(|q| q.id != self.id);
    }
}

fn lock(queue: &std::sync::Mutex<Queue>) -> std::sync::MutexGuard<'_, Queue> {
    queue
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl fmt::Debug for PostgresJournal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresJournal")
            .field("name", &self.name)
            .field("hosts", &self.config.get_hosts())
            .field("dbname", &self.config.get_dbname())
            .finish_non_exhaustive()
    }
}

fn pg_error(context: &'static str, e: tokio_postgres::Error) -> Error {
    Error::new(ErrorKind::Journal)
        .with_context(context)
        .with_source(e)
}

/// FNV-1a 64 of `seed` then `name`: stable across versions and platforms,
/// unlike std's hasher, because other replicas must compute the same key.
fn lock_key(seed: &[u8], name: &[u8]) -> i64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in seed.iter().chain(name) {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    i64::from_be_bytes(h.to_be_bytes())
}

fn tls_connector<T>(tls: T) -> Connect
where
    T: MakeTlsConnect<Socket> + Clone + Send + Sync + 'static,
    T::Stream: Send + 'static,
    T::TlsConnect: Send,
    <T::TlsConnect as TlsConnect<Socket>>::Future: Send,
{
    Arc::new(move |config: Config| {
        let tls = tls.clone();
        Box::pin(async move {
            let (client, connection) = config
                .connect(tls)
                .await
                .map_err(|e| pg_error("postgres connect", e))?;
            tokio::spawn(async move {
                if let Err(e) = connection.await {
                    tracing::debug!(error = %e, "journal: postgres connection ended");
                }
            });
            Ok(client)
        })
    })
}

impl PostgresJournal {
    /// Connects without TLS (`params` is a `postgresql://` URL or a
    /// `key=value` string), creates the table if missing and takes journal
    /// `name`, failing at once with [`JournalLocked`] if another engine holds it.
    pub async fn connect(params: &str, name: &str) -> Result<Self> {
        let config: Config = params.parse().map_err(|e| {
            Error::new(ErrorKind::Journal)
                .with_context("postgres connection string")
                .with_source(e)
        })?;
        Self::connect_with(
            config,
            name,
            tokio_postgres::NoTls,
            &PostgresJournalOptions::new(),
        )
        .await
    }

    /// Connects with `config` over `tls` (any `tokio-postgres` 0.7 TLS
    /// connector, or `tokio_postgres::NoTls`), then as [`Self::connect`],
    /// with `options`. `config` and `tls` are the caller's own
    /// `tokio-postgres` values, passed through as they are.
    pub async fn connect_with<T>(
        mut config: Config,
        name: &str,
        tls: T,
        options: &PostgresJournalOptions,
    ) -> Result<Self>
    where
        T: MakeTlsConnect<Socket> + Clone + Send + Sync + 'static,
        T::Stream: Send + 'static,
        T::TlsConnect: Send,
        <T::TlsConnect as TlsConnect<Socket>>::Future: Send,
    {
        if name.is_empty() {
            return Err(Error::new(ErrorKind::Journal).with_context("empty journal name"));
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(options.connect_timeout);
        }
        if config.get_application_name().is_none() {
            config.application_name("registry-sync journal");
        }
        let journal = Self {
            name: name.to_owned(),
            lock_key: lock_key(LOCK_SEED, name.as_bytes()),
            config,
            options: options.clone(),
            connect: tls_connector(tls),
            session: tokio::sync::Mutex::new(None),
            queue: std::sync::Mutex::new(Queue::default()),
        };
        let session = journal.open_session().await?;
        *journal.session.lock().await = Some(session);
        Ok(journal)
    }

    /// The journal's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    async fn open_session(&self) -> Result<Session> {
        let client = (self.connect)(self.config.clone()).await?;
        client
            .batch_execute("SET synchronous_commit TO on")
            .await
            .map_err(|e| pg_error("postgres session setup", e))?;
        self.take_lock(&client).await?;
        create_schema(&client).await?;
        let prepare = |sql: String| {
            let client = &client;
            async move {
                client
                    .prepare(&sql)
                    .await
                    .map_err(|e| pg_error("postgres prepare", e))
            }
        };
        let insert = prepare(format!(
            "INSERT INTO {TABLE} (journal, record) \
             SELECT $1, r FROM unnest($2::bytea[]) WITH ORDINALITY AS t(r, n) ORDER BY n"
        ))
        .await?;
        let load = prepare(format!(
            "SELECT seq, record FROM {TABLE} WHERE journal = $1 ORDER BY seq"
        ))
        .await?;
        let delete = prepare(format!(
            "DELETE FROM {TABLE} WHERE journal = $1 AND seq = ANY($2::bigint[])"
        ))
        .await?;
        Ok(Session {
            client,
            insert,
            load,
            delete,
        })
    }

    async fn take_lock(&self, client: &Client) -> Result<()> {
        let deadline = Instant::now() + self.options.lock_wait;
        loop {
            let row = client
                .query_one("SELECT pg_try_advisory_lock($1)", &[&self.lock_key])
                .await
                .map_err(|e| pg_error("postgres journal lock", e))?;
            let taken: bool = row
                .try_get(0)
                .map_err(|e| pg_error("postgres journal lock", e))?;
            if taken {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(Error::new(ErrorKind::Journal)
                    .with_context("journal held by another engine")
                    .with_source(JournalLocked {
                        name: self.name.clone(),
                    }));
            }
            tokio::time::sleep(Duration::from_millis(100).min(self.options.lock_wait)).await;
        }
    }

    /// Runs `f` on a live session, reconnecting first if the connection was
    /// lost; a failed operation drops the session so the next one starts on
    /// a fresh connection (and takes the lock again).
    async fn with_session<T>(&self, f: impl AsyncFnOnce(&Session) -> Result<T>) -> Result<T> {
        let mut guard = self.session.lock().await;
        if guard.as_ref().is_none_or(|s| s.client.is_closed()) {
            *guard = None;
            *guard = Some(self.open_session().await?);
        }
        let Some(session) = guard.as_ref() else {
            return Err(Error::new(ErrorKind::Journal).with_context("no postgres session"));
        };
        let result = f(session).await;
        if result.as_ref().is_err_and(|e| e.is_journal()) {
            *guard = None;
        }
        result
    }
}

async fn create_schema(client: &Client) -> Result<()> {
    // Only a missing table needs CREATE rights; check before creating.
    if table_exists(client).await? {
        return Ok(());
    }
    let key = lock_key(SCHEMA_LOCK_SEED, b"");
    let sql = format!(
        "BEGIN;
         SELECT pg_advisory_xact_lock({key});
         CREATE TABLE IF NOT EXISTS {TABLE} (
             journal    text        NOT NULL,
             seq        bigint      GENERATED ALWAYS AS IDENTITY,
             record     bytea       NOT NULL,
             written_at timestamptz NOT NULL DEFAULT now(),
             PRIMARY KEY (journal, seq)
         );
         COMMIT;"
    );
    client
        .batch_execute(&sql)
        .await
        .map_err(|e| pg_error("postgres create table", e))
}

async fn table_exists(client: &Client) -> Result<bool> {
    let row = client
        .query_one(&format!("SELECT to_regclass('{TABLE}') IS NOT NULL"), &[])
        .await
        .map_err(|e| pg_error("postgres schema check", e))?;
    row.try_get(0)
        .map_err(|e| pg_error("postgres schema check", e))
}

fn encode(record: &JournalRecord) -> Result<Vec<u8>> {
    serde_json::to_vec(record).map_err(|e| {
        Error::new(ErrorKind::Journal)
            .with_context("encode")
            .with_source(e)
    })
}

fn decode(seq: i64, bytes: &[u8]) -> Result<JournalRecord> {
    serde_json::from_slice(bytes).map_err(|e| {
        Error::new(ErrorKind::Decode)
            .with_context(format!("journal row seq {seq}"))
            .with_source(e)
    })
}

/// The `seq` of every row that compaction drops: the rows of runs that have
/// a `RunCompleted` record (the rule of `without_completed_runs`).
fn completed_rows(rows: &[(i64, JournalRecord)]) -> Vec<i64> {
    let completed: BTreeSet<u64> = rows
        .iter()
        .filter_map(|(_, r)| match r {
            JournalRecord::RunCompleted { run } => Some(*run),
            _ => None,
        })
        .collect();
    rows.iter()
        .filter(|(_, r)| completed.contains(&r.run()))
        .map(|(seq, _)| *seq)
        .collect()
}

async fn load_rows(session: &Session, name: &str) -> Result<Vec<(i64, JournalRecord)>> {
    let rows = session
        .client
        .query(&session.load, &[&name])
        .await
        .map_err(|e| pg_error("postgres load", e))?;
    rows.iter()
        .map(|row| {
            let seq: i64 = row.try_get(0).map_err(|e| pg_error("postgres load", e))?;
            let bytes: &[u8] = row.try_get(1).map_err(|e| pg_error("postgres load", e))?;
            Ok((seq, decode(seq, bytes)?))
        })
        .collect()
}

#[async_trait]
impl JournalStore for PostgresJournal {
    async fn append(&self, records: &[JournalRecord]) -> Result<()> {
        if records.is_empty() {
            return Ok(());
        }
        let payloads = records.iter().map(encode).collect::<Result<Vec<_>>>()?;
        let (done, committed) = tokio::sync::oneshot::channel();
        let _enqueued = {
            let mut queue = lock(&self.queue);
            let id = queue.next_id;
            queue.next_id += 1;
            queue.waiting.push(Queued { id, payloads, done });
            Enqueued {
                queue: &self.queue,
                id,
            }
        };
        self.with_session(async |s| {
            let batch = std::mem::take(&mut lock(&self.queue).waiting);
            if batch.is_empty() {
                // An earlier session holder committed this append with its own.
                return Ok(());
            }
            let rows: Vec<&[u8]> = batch
                .iter()
                .flat_map(|q| q.payloads.iter().map(Vec::as_slice))
                .collect();
            let result = s
                .client
                .execute(&s.insert, &[&self.name, &rows])
                .await
                .map(drop)
                .map_err(|e| pg_error("postgres append", e));
            for q in batch {
                let _ = q.done.send(result.is_ok());
            }
            result
        })
        .await?;
        match committed.await {
            Ok(true) => Ok(()),
            Ok(false) => Err(Error::new(ErrorKind::Journal)
                .with_context("postgres append (batched with a failed append)")),
            // The holder that took this append was cancelled mid-commit.
            Err(_) => {
                Err(Error::new(ErrorKind::Journal)
                    .with_context("postgres append (outcome unknown)"))
            }
        }
    }

    async fn load(&self) -> Result<Vec<JournalRecord>> {
        let rows = self
            .with_session(async |s| load_rows(s, &self.name).await)
            .await?;
        Ok(rows.into_iter().map(|(_, r)| r).collect())
    }

    async fn compact(&self) -> Result<()> {
        self.with_session(async |s| {
            let drop = completed_rows(&load_rows(s, &self.name).await?);
            if drop.is_empty() {
                return Ok(());
            }
            s.client
                .execute(&s.delete, &[&self.name, &drop])
                .await
                .map(|_| ())
                .map_err(|e| pg_error("postgres compact", e))
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::recovery::without_completed_runs;
    use proptest::prelude::*;

    #[test]
    fn lock_keys_are_stable_and_distinct() {
        // FNV-1a 64 of the empty input is its offset basis.
        assert_eq!(
            lock_key(b"", b""),
            i64::from_be_bytes(0xcbf2_9ce4_8422_2325_u64.to_be_bytes())
        );
        assert_eq!(
            lock_key(b"", b"a"),
            i64::from_be_bytes(0xaf63_dc4c_8601_ec8c_u64.to_be_bytes())
        );
        assert_ne!(lock_key(LOCK_SEED, b"a"), lock_key(LOCK_SEED, b"b"));
        assert_ne!(lock_key(LOCK_SEED, b""), lock_key(SCHEMA_LOCK_SEED, b""));
    }

    fn any_record() -> impl Strategy<Value = JournalRecord> {
        let run = 0u64..4;
        prop_oneof![
            (run.clone(), any::<u64>())
                .prop_map(|(run, operations)| JournalRecord::RunStarted { run, operations }),
            (run.clone(), any::<u64>()).prop_map(|(run, op)| JournalRecord::Applied {
                run,
                op,
                outcome: crate::journal::OpOutcome::Applied,
            }),
            run.prop_map(|run| JournalRecord::RunCompleted { run }),
        ]
    }

    proptest! {
        #[test]
        fn compaction_drops_what_the_file_journal_drops(
            records in proptest::collection::vec(any_record(), 0..40),
        ) {
            let rows: Vec<(i64, JournalRecord)> =
                records.iter().cloned().zip(10..).map(|(r, seq)| (seq, r)).collect();
            let dropped: BTreeSet<i64> = completed_rows(&rows).into_iter().collect();
            let kept: Vec<JournalRecord> = rows
                .into_iter()
                .filter(|(seq, _)| !dropped.contains(seq))
                .map(|(_, r)| r)
                .collect();
            prop_assert_eq!(kept, without_completed_runs(&records));
        }
    }

    #[test]
    fn a_dropped_append_leaves_the_queue() {
        let queue = std::sync::Mutex::new(Queue::default());
        let (done, _) = tokio::sync::oneshot::channel();
        lock(&queue).waiting.push(Queued {
            id: 7,
            payloads: vec![b"{}".to_vec()],
            done,
        });
        let (done, _) = tokio::sync::oneshot::channel();
        lock(&queue).waiting.push(Queued {
            id: 8,
            payloads: Vec::new(),
            done,
        });
        drop(Enqueued {
            queue: &queue,
            id: 7,
        });
        let left: Vec<u64> = lock(&queue).waiting.iter().map(|q| q.id).collect();
        assert_eq!(left, [8]);
    }

    #[test]
    fn undecodable_rows_are_decode_errors() {
        assert!(decode(7, b"{\"t\":\"nope\"}").unwrap_err().is_decode());
        let e = decode(7, b"\xff").unwrap_err();
        assert_eq!(e.context(), Some("journal row seq 7"));
    }
}
