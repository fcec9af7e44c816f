//! A month's content fingerprint: a 128-bit hash of its rows as received, in order, over the
//! per-row hashes the decoder makes (so pages decode in parallel and the fingerprint does not
//! depend on where pages or blobs split the rows). Two pulls with equal fingerprints hold the
//! same rows in the same order: the second is not written. Pure.

use xxhash_rust::xxh3::Xxh3;

use crate::schema::SCHEMA_VERSION;

/// The running fingerprint of one month.
pub(crate) struct Fingerprint(Xxh3);

impl Default for Fingerprint {
    fn default() -> Self {
        let mut h = Xxh3::new();
        // A new schema version gives new fingerprints: its files must be written.
        h.update(b"ea-usage-archiver rows, schema ");
        h.update(SCHEMA_VERSION.as_bytes());
        Self(h)
    }
}

impl Fingerprint {
    /// Adds rows, by their hashes, in order.
    pub(crate) fn add_rows(&mut self, digests: &[u64]) {
        for d in digests {
            self.0.update(&d.to_le_bytes());
        }
    }

    /// The fingerprint as text, `xxh3-128:<32 hex digits>`.
    pub(crate) fn finish(&self) -> String {
        format!("xxh3-128:{:032x}", self.0.digest128())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fp(chunks: &[&[u64]]) -> String {
        let mut f = Fingerprint::default();
        for c in chunks {
            f.add_rows(c);
        }
        f.finish()
    }

    #[test]
    fn same_rows_same_fingerprint_wherever_pages_split() {
        assert_eq!(fp(&[&[1, 2, 3], &[4]]), fp(&[&[1], &[2, 3, 4]]));
        assert_ne!(fp(&[&[1, 2, 3, 4]]), fp(&[&[1, 2, 4, 3]]), "order matters");
        assert_ne!(
            fp(&[&[1, 2, 3]]),
            fp(&[&[1, 2, 3, 3]]),
            "a repeated row matters"
        );
        assert!(fp(&[]).starts_with("xxh3-128:") && fp(&[]).len() == 9 + 32);
    }
}
