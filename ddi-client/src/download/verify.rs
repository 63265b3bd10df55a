//! Incremental digest of the downloaded bytes against the strongest hash the
//! server gave.

use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256};

use crate::model::Hashes;

/// The algorithm a download was verified with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HashAlgorithm {
    /// SHA-256 (preferred).
    Sha256,
    /// SHA-1 (when the server gives no SHA-256, e.g. goosebit).
    Sha1,
    /// MD5 (last resort).
    Md5,
}

#[derive(Clone)]
enum State {
    Sha256(Sha256),
    Sha1(Sha1),
    Md5(Md5),
    None,
}

/// Hashes bytes as they arrive and checks the result at the end.
#[derive(Clone)]
pub(crate) struct Verifier {
    state: State,
    expected: Option<(HashAlgorithm, Vec<u8>)>,
}

impl core::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Verifier")
            .field("algorithm", &self.algorithm())
            .finish()
    }
}

impl Verifier {
    /// Picks SHA-256, else SHA-1, else MD5, skipping values that are not
    /// valid hex of the right length. `None` when nothing usable is given.
    pub(crate) fn new(hashes: Option<&Hashes>) -> Self {
        let pick = |hex: Option<&String>, len: usize| {
            hex.and_then(|h| hex::decode(h.trim()).ok())
                .filter(|b| b.len() == len)
        };
        let expected = hashes.and_then(|h| {
            pick(h.sha256.as_ref(), 32)
                .map(|d| (HashAlgorithm::Sha256, d))
                .or_else(|| pick(h.sha1.as_ref(), 20).map(|d| (HashAlgorithm::Sha1, d)))
                .or_else(|| pick(h.md5.as_ref(), 16).map(|d| (HashAlgorithm::Md5, d)))
        });
        let mut v = Self {
            state: State::None,
            expected,
        };
        v.reset();
        v
    }

    pub(crate) fn algorithm(&self) -> Option<HashAlgorithm> {
        self.expected.as_ref().map(|(a, _)| *a)
    }

    pub(crate) fn reset(&mut self) {
        self.state = match self.algorithm() {
            Some(HashAlgorithm::Sha256) => State::Sha256(Sha256::new()),
            Some(HashAlgorithm::Sha1) => State::Sha1(Sha1::new()),
            Some(HashAlgorithm::Md5) => State::Md5(Md5::new()),
            None => State::None,
        };
    }

    pub(crate) fn update(&mut self, data: &[u8]) {
        match &mut self.state {
            State::Sha256(h) => h.update(data),
            State::Sha1(h) => h.update(data),
            State::Md5(h) => h.update(data),
            State::None => {}
        }
    }

    /// Whether the bytes so far match; `true` when there is nothing to check.
    /// Does not consume the state, so a 416 check can be followed by more data.
    pub(crate) fn matches(&self) -> bool {
        let Some((_, want)) = &self.expected else {
            return true;
        };
        let got = match self.state.clone() {
            State::Sha256(h) => h.finalize().to_vec(),
            State::Sha1(h) => h.finalize().to_vec(),
            State::Md5(h) => h.finalize().to_vec(),
            State::None => return false,
        };
        &got == want
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hashes(sha256: Option<&str>, sha1: Option<&str>, md5: Option<&str>) -> Hashes {
        Hashes {
            sha256: sha256.map(str::to_owned),
            sha1: sha1.map(str::to_owned),
            md5: md5.map(str::to_owned),
        }
    }

    #[test]
    fn prefers_strongest_valid_hash() {
        let abc256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        let abc1 = "a9993e364706816aba3e25717850c26c9cd0d89d";
        let abc5 = "900150983cd24fb0d6963f7d28e17f72";
        let mut v = Verifier::new(Some(&hashes(Some(abc256), Some(abc1), Some(abc5))));
        assert_eq!(v.algorithm(), Some(HashAlgorithm::Sha256));
        v.update(b"ab");
        assert!(!v.matches());
        v.update(b"c");
        assert!(v.matches());
        // Malformed sha256 (the upstream tolerance fixture has "789") falls back.
        let v = Verifier::new(Some(&hashes(Some("789"), Some(abc1), None)));
        assert_eq!(v.algorithm(), Some(HashAlgorithm::Sha1));
        let mut v = Verifier::new(Some(&hashes(None, None, Some(abc5))));
        v.update(b"abc");
        assert!(v.matches());
        assert_eq!(Verifier::new(None).algorithm(), None);
    }
}
