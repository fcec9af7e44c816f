//! Field-name lookup with a per-position cache. Rows of one page almost always list the same
//! keys in the same order, so the key at position `i` is compared with the one seen there last
//! time (one short compare) before falling back to the case-insensitive table search.

use crate::json::scan::is_plain;
use crate::schema::column_for_field;

/// Remembers which column the key at each position of a row mapped to.
#[derive(Debug, Default)]
pub(crate) struct FieldLookup {
    /// Per position: the key seen last (`""` when it holds bytes that JSON must escape, so it
    /// can never be matched against raw input) and its column.
    by_position: Vec<(Box<str>, Option<usize>)>,
    position: usize,
}

impl FieldLookup {
    /// The column for the next key of the current row.
    pub(crate) fn lookup(&mut self, key: &str) -> Option<usize> {
        let pos = self.position;
        self.position += 1;
        if let Some((cached, col)) = self.by_position.get(pos)
            && **cached == *key
        {
            return *col;
        }
        let col = column_for_field(key);
        let cached = (if is_plain(key) { key } else { "" }.into(), col);
        if pos < self.by_position.len() {
            self.by_position[pos] = cached;
        } else if pos == self.by_position.len() && pos < 256 {
            self.by_position.push(cached);
        }
        col
    }

    /// The key seen at the next position last time (`""` if none): the likely next key.
    pub(crate) fn likely(&self) -> &str {
        self.by_position
            .get(self.position)
            .map_or("", |(key, _)| key)
    }

    /// The column for the next key when it is the [`likely`](Self::likely) one.
    pub(crate) fn likely_column(&mut self) -> Option<usize> {
        let col = self
            .by_position
            .get(self.position)
            .and_then(|(_, col)| *col);
        self.position += 1;
        col
    }

    /// Starts a new row.
    pub(crate) fn next_row(&mut self) {
        self.position = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{COST, index_of};

    #[test]
    fn cached_and_uncached_lookups_agree() {
        let mut f = FieldLookup::default();
        for _ in 0..3 {
            assert_eq!(f.lookup("Cost"), Some(COST));
            assert_eq!(f.lookup("nope"), None);
            assert_eq!(f.lookup("meterName"), Some(index_of("meter_name")));
            f.next_row();
        }
        // A row in another order still maps correctly.
        assert_eq!(f.lookup("meterName"), Some(index_of("meter_name")));
        assert_eq!(f.lookup("Cost"), Some(COST));
        assert_eq!(f.lookup("cost"), Some(COST));
        f.next_row();
        assert_eq!(f.lookup("Cost"), Some(COST));
        // The likely key at each position is the one seen there last.
        f.next_row();
        assert_eq!(f.likely(), "Cost");
        assert_eq!(f.likely_column(), Some(COST));
        assert_eq!(f.likely(), "Cost");
        assert_eq!(f.likely_column(), Some(COST));
        assert_eq!(f.likely(), "cost");
        assert_eq!(f.likely_column(), Some(COST));
        assert_eq!(f.likely(), "");
        assert_eq!(f.likely_column(), None);
        // A key with a quote is never offered as likely: raw input could not hold it as is.
        f.next_row();
        assert_eq!(f.lookup("a\"b"), None);
        f.next_row();
        assert_eq!(f.likely(), "");
    }
}
