//! Field-name lookup with a per-position cache. Rows of one page almost always list the same
//! keys in the same order, so the key at position `i` is compared with the one seen there last
//! time (one short compare) before falling back to the case-insensitive table search.

use crate::schema::column_for_field;

/// Remembers which column the key at each position of a row mapped to.
#[derive(Debug, Default)]
pub struct FieldLookup {
    by_position: Vec<(Box<str>, Option<usize>)>,
    position: usize,
}

impl FieldLookup {
    /// The column for the next key of the current row.
    pub fn lookup(&mut self, key: &str) -> Option<usize> {
        let pos = self.position;
        self.position += 1;
        if let Some((cached, col)) = self.by_position.get(pos)
            && **cached == *key
        {
            return *col;
        }
        let col = column_for_field(key);
        if pos < self.by_position.len() {
            self.by_position[pos] = (key.into(), col);
        } else if pos == self.by_position.len() && pos < 256 {
            self.by_position.push((key.into(), col));
        }
        col
    }

    /// Starts a new row.
    pub fn next_row(&mut self) {
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
    }
}
