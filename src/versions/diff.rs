//! `diff`: two versions of a month grouped by some columns, the groups whose rows or cost
//! changed, largest absolute cost change first. Both files are streamed by row group, only the
//! grouping columns and `cost` read: memory grows with the number of groups, not of rows.

use std::collections::HashMap;

use arrow_array::cast::AsArray;
use arrow_array::types::Decimal128Type;
use arrow_array::{Array, RecordBatch};
use object_store::path::Path;
use serde::Serialize;

use super::cell_text::CellText;
use crate::money::format_scaled;
use crate::sink::Lake;
use crate::sink::lake::object::LakeObject;

/// Rows and exact cost of a group (cost scaled by 10^18).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Totals {
    /// Rows.
    pub rows: u64,
    /// Sum of `cost`, scaled by 10^18.
    pub cost: i128,
}

/// The totals of one version by group.
#[derive(Debug, Default)]
pub(crate) struct Groups {
    /// Per group key (the `--by` values as text, in `--by` order; `None` for null).
    pub by_key: HashMap<Vec<Option<String>>, Totals>,
    /// The whole version.
    pub total: Totals,
}

impl Groups {
    /// Adds a batch holding (at least) the `by` columns and `cost`.
    pub(crate) fn add(&mut self, batch: &RecordBatch, by: &[String]) -> Result<(), String> {
        let mut columns = Vec::with_capacity(by.len());
        for name in by {
            let array = batch
                .column_by_name(name)
                .ok_or_else(|| format!("the file has no column {name:?}"))?;
            columns.push(CellText::new(array.as_ref()).map_err(|e| format!("{name}: {e}"))?);
        }
        let cost = batch
            .column_by_name("cost")
            .ok_or("the file has no `cost` column")?
            .as_primitive_opt::<Decimal128Type>()
            .ok_or("the `cost` column is not a decimal")?;
        for row in 0..batch.num_rows() {
            let key: Vec<Option<String>> = columns.iter().map(|c| c.value(row)).collect();
            let c = if cost.is_valid(row) {
                cost.value(row)
            } else {
                0
            };
            let g = self.by_key.entry(key).or_default();
            g.rows += 1;
            g.cost = g
                .cost
                .checked_add(c)
                .ok_or("a group's cost total overflows")?;
            self.total.rows += 1;
            self.total.cost = self
                .total
                .cost
                .checked_add(c)
                .ok_or("the cost total overflows")?;
        }
        Ok(())
    }
}

/// One group whose rows or cost changed.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub(crate) struct GroupDiff {
    /// The `--by` columns and their values.
    pub key: serde_json::Map<String, serde_json::Value>,
    /// Rows in the older version.
    pub rows_before: u64,
    /// Rows in the newer version.
    pub rows_after: u64,
    /// Exact cost in the older version.
    pub cost_before: String,
    /// Exact cost in the newer version.
    pub cost_after: String,
    /// `cost_after - cost_before`, exact.
    pub cost_delta: String,
}

/// The month's totals in both versions.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub(crate) struct TotalDiff {
    /// Rows in the older version.
    pub rows_before: u64,
    /// Rows in the newer version.
    pub rows_after: u64,
    /// Exact cost in the older version.
    pub cost_before: String,
    /// Exact cost in the newer version.
    pub cost_after: String,
    /// `cost_after - cost_before`, exact.
    pub cost_delta: String,
}

/// The groups that changed, largest absolute cost change first (then by key), and the totals.
pub(crate) fn compare(
    before: &Groups,
    after: &Groups,
    by: &[String],
) -> (Vec<GroupDiff>, TotalDiff) {
    let mut keys: Vec<&Vec<Option<String>>> =
        before.by_key.keys().chain(after.by_key.keys()).collect();
    keys.sort();
    keys.dedup();
    let mut changed: Vec<(i128, &Vec<Option<String>>, Totals, Totals)> = keys
        .into_iter()
        .filter_map(|k| {
            let b = before.by_key.get(k).copied().unwrap_or_default();
            let a = after.by_key.get(k).copied().unwrap_or_default();
            (a != b).then(|| (a.cost - b.cost, k, b, a))
        })
        .collect();
    changed.sort_by(|x, y| {
        y.0.unsigned_abs()
            .cmp(&x.0.unsigned_abs())
            .then_with(|| x.1.cmp(y.1))
    });
    let groups = changed
        .into_iter()
        .map(|(delta, k, b, a)| GroupDiff {
            key: by
                .iter()
                .zip(k)
                .map(|(col, v)| {
                    (
                        col.clone(),
                        v.clone()
                            .map_or(serde_json::Value::Null, serde_json::Value::String),
                    )
                })
                .collect(),
            rows_before: b.rows,
            rows_after: a.rows,
            cost_before: format_scaled(b.cost),
            cost_after: format_scaled(a.cost),
            cost_delta: format_scaled(delta),
        })
        .collect();
    let total = TotalDiff {
        rows_before: before.total.rows,
        rows_after: after.total.rows,
        cost_before: format_scaled(before.total.cost),
        cost_after: format_scaled(after.total.cost),
        cost_delta: format_scaled(after.total.cost - before.total.cost),
    };
    (groups, total)
}

/// Streams one version's `by` columns and `cost`, row group by row group, into its totals.
pub(crate) async fn group(
    lake: &Lake,
    path: &Path,
    size: u64,
    by: &[String],
) -> Result<Groups, String> {
    let object = LakeObject::open(lake, path, size).await?;
    let schema = object.schema();
    let present: Vec<String> = by
        .iter()
        .filter(|c| schema.index_of(c).is_ok())
        .cloned()
        .collect();
    // A column the file does not have (an older schema version) groups as null.
    let columns: Vec<&str> = present.iter().map(String::as_str).collect();
    let mut rows = object.rows(Some(&columns))?;
    let mut groups = Groups::default();
    while let Some(batch) = rows.next_batch().await? {
        let batch = with_missing_as_null(&batch, by, &present)?;
        groups.add(&batch, by)?;
    }
    Ok(groups)
}

/// `batch` with a null column for each `by` column the file lacks.
fn with_missing_as_null(
    batch: &RecordBatch,
    by: &[String],
    present: &[String],
) -> Result<RecordBatch, String> {
    if present.len() == by.len() {
        return Ok(batch.clone());
    }
    let mut fields: Vec<arrow_schema::FieldRef> = batch.schema().fields().iter().cloned().collect();
    let mut columns = batch.columns().to_vec();
    for name in by.iter().filter(|c| !present.contains(c)) {
        fields.push(std::sync::Arc::new(arrow_schema::Field::new(
            name,
            arrow_schema::DataType::Utf8,
            true,
        )));
        columns.push(arrow_array::new_null_array(
            &arrow_schema::DataType::Utf8,
            batch.num_rows(),
        ));
    }
    RecordBatch::try_new(
        std::sync::Arc::new(arrow_schema::Schema::new(fields)),
        columns,
    )
    .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::UsageBatchBuilder;
    use crate::schema::{COST, index_of};

    fn batch(rows: &[(Option<&str>, &str, i128)]) -> RecordBatch {
        let (sub, cat) = (index_of("subscription_guid"), index_of("meter_category"));
        let mut b = UsageBatchBuilder::with_capacity(rows.len());
        for (s, c, cost) in rows {
            b.append_str(sub, *s);
            b.append_str(cat, Some(c));
            b.append_decimal(COST, Some(*cost));
            b.end_row();
        }
        b.finish()
    }

    fn by() -> Vec<String> {
        vec!["subscription_guid".into(), "meter_category".into()]
    }

    #[test]
    fn changed_groups_largest_change_first_with_exact_totals() {
        let mut before = Groups::default();
        before
            .add(
                &batch(&[
                    (Some("s1"), "VM", 10),
                    (Some("s1"), "VM", 5),
                    (Some("s2"), "Storage", 7),
                    (None, "VM", 1),
                ]),
                &by(),
            )
            .unwrap();
        let mut after = Groups::default();
        after
            .add(
                &batch(&[
                    (Some("s1"), "VM", 15),
                    (Some("s2"), "Storage", 30),
                    (None, "VM", 1),
                    (Some("s3"), "SQL", -2),
                ]),
                &by(),
            )
            .unwrap();
        let (groups, total) = compare(&before, &after, &by());
        let keys: Vec<(Option<&str>, i128)> = groups
            .iter()
            .map(|g| {
                (
                    g.key["subscription_guid"].as_str(),
                    crate::money::parse_scaled(&g.cost_delta).unwrap(),
                )
            })
            .collect();
        // s1/VM: same cost, fewer rows (changed); s2: +23; s3: new, -2; the null group is equal.
        assert_eq!(
            keys,
            vec![(Some("s2"), 23), (Some("s3"), -2), (Some("s1"), 0)]
        );
        assert_eq!((groups[2].rows_before, groups[2].rows_after), (2, 1));
        assert_eq!(groups[1].cost_before, "0");
        assert_eq!((total.rows_before, total.rows_after), (4, 4));
        assert_eq!(total.cost_delta, format_scaled(21));
    }
}
