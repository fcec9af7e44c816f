//! One cell of a lake column as text, for `diff`'s group keys: strings as they are, dates as
//! `YYYY-MM-DD`, integers and booleans as Rust prints them, decimals exactly (`money`).

use arrow_array::Array;
use arrow_array::cast::AsArray;
use arrow_array::types::{Date32Type, Decimal128Type, Int64Type};
use arrow_schema::DataType;

use crate::money::format_scaled;
use crate::schema::DECIMAL_SCALE;

/// Reads cells of one column as text; `None` for a type no lake column has.
pub(crate) struct CellText<'a> {
    array: &'a dyn Array,
}

impl<'a> CellText<'a> {
    /// A reader for `array`, or why its type cannot group rows.
    pub(crate) fn new(array: &'a dyn Array) -> Result<Self, String> {
        match array.data_type() {
            DataType::Utf8 | DataType::Date32 | DataType::Int64 | DataType::Boolean => {
                Ok(Self { array })
            }
            DataType::Decimal128(_, s) if *s == DECIMAL_SCALE => Ok(Self { array }),
            t => Err(format!("a column of type {t} cannot group rows")),
        }
    }

    /// The text of row `row`, `None` when it is null.
    pub(crate) fn value(&self, row: usize) -> Option<String> {
        let a = self.array;
        if a.is_null(row) {
            return None;
        }
        Some(match a.data_type() {
            DataType::Utf8 => a.as_string::<i32>().value(row).to_owned(),
            DataType::Date32 => {
                let days = a.as_primitive::<Date32Type>().value(row);
                chrono::NaiveDate::from_num_days_from_ce_opt(days + EPOCH_DAYS_FROM_CE).map_or_else(
                    || format!("{days} days after 1970-01-01"),
                    |d| d.to_string(),
                )
            }
            DataType::Int64 => a.as_primitive::<Int64Type>().value(row).to_string(),
            DataType::Boolean => a.as_boolean().value(row).to_string(),
            DataType::Decimal128(..) => {
                format_scaled(a.as_primitive::<Decimal128Type>().value(row))
            }
            _ => unreachable!("checked in CellText::new"),
        })
    }
}

/// Days from 0001-01-01 (day 1 in chrono's count) to 1970-01-01.
const EPOCH_DAYS_FROM_CE: i32 = 719_163;

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow_array::{
        ArrayRef, BooleanArray, Date32Array, Decimal128Array, MapArray, StringArray,
    };

    use super::*;

    fn texts(a: ArrayRef) -> Vec<Option<String>> {
        let c = CellText::new(a.as_ref()).unwrap();
        (0..a.len()).map(|i| c.value(i)).collect()
    }

    #[test]
    fn each_lake_type_as_text() {
        let s = |v: &str| Some(v.to_string());
        assert_eq!(
            texts(Arc::new(StringArray::from(vec![
                Some("SQL Database"),
                None
            ]))),
            vec![s("SQL Database"), None]
        );
        assert_eq!(
            texts(Arc::new(Date32Array::from(vec![0, 19_783, -1]))),
            vec![s("1970-01-01"), s("2024-03-01"), s("1969-12-31")]
        );
        let d = Decimal128Array::from(vec![Some(1_500_000_000_000_000_000), Some(-1), None])
            .with_precision_and_scale(38, 18)
            .unwrap();
        assert_eq!(
            texts(Arc::new(d)),
            vec![s("1.5"), s("-0.000000000000000001"), None]
        );
        assert_eq!(
            texts(Arc::new(arrow_array::Int64Array::from(vec![1_234_567]))),
            vec![s("1234567")]
        );
        assert_eq!(
            texts(Arc::new(BooleanArray::from(vec![true, false]))),
            vec![s("true"), s("false")]
        );
    }

    #[test]
    fn a_map_cannot_group() {
        let schema = crate::schema::arrow_schema();
        let tags =
            arrow_array::new_empty_array(schema.field_with_name("tags").unwrap().data_type());
        assert!(tags.as_any().downcast_ref::<MapArray>().is_some());
        let err = CellText::new(tags.as_ref()).err().unwrap();
        assert!(err.contains("cannot group"), "{err}");
    }
}
