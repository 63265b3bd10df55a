//! The journal on arbitrary bytes. As a file (what a crash or another
//! program may leave behind): opening never panics, cuts off at most the
//! torn tail and leaves a file that reopens without cutting anything. As
//! JSON records: whatever decodes re-encodes to the same records, and
//! recovery only hands back operations the records planned.
#![no_main]

use libfuzzer_sys::fuzz_target;
use registry_sync::journal::{FileJournal, JournalRecord, audit, recover};

fuzz_target!(|data: &[u8]| {
    let path = std::env::temp_dir().join(format!("registry-sync-fuzz-journal-{}", std::process::id()));
    std::fs::write(&path, data).expect("write the journal file");
    if let Ok(journal) = FileJournal::open(&path) {
        let len = std::fs::metadata(&path).expect("journal metadata").len();
        assert_eq!(len + journal.truncated_bytes(), data.len() as u64);
        drop(journal);
        let again = FileJournal::open(&path).expect("a cut journal reopens");
        assert_eq!(again.truncated_bytes(), 0, "a cut journal was cut again");
    }
    let _ = std::fs::remove_file(&path);

    if let Ok(records) = serde_json::from_slice::<Vec<JournalRecord>>(data) {
        let bytes = serde_json::to_vec(&records).expect("decoded records encode");
        let again: Vec<JournalRecord> = serde_json::from_slice(&bytes).expect("re-encoded records decode");
        assert_eq!(again, records);
        let recovery = recover(&records);
        for p in &recovery.pending {
            assert!(records.iter().any(|r| matches!(
                r,
                JournalRecord::Planned { run, op, operation }
                    if *run == p.run && *op == p.op && *operation == p.operation
            )));
        }
        assert!(records.iter().all(|r| r.run() < recovery.next_run || r.run() == u64::MAX));
        let _ = audit(&records);
    }
});
