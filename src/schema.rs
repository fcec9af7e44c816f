//! The fixed, versioned Arrow schema of the lake and the map from API field names to columns.
//!
//! `schemas/usage_details.v1.json` is the machine-readable copy of this table; a unit test
//! checks that the two agree, so the file cannot drift from the code.

use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Fields, Schema, SchemaRef};

/// Version of the lake schema, written into every file's metadata.
pub const SCHEMA_VERSION: &str = "1";

/// Precision of every decimal column.
pub const DECIMAL_PRECISION: u8 = 38;
/// Scale (fractional digits) of every decimal column.
pub const DECIMAL_SCALE: i8 = 18;

/// The physical kind of a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `Int64`.
    Int64,
    /// `Utf8`.
    Utf8,
    /// `Decimal128(38, 18)`.
    Decimal,
    /// `Date32`.
    Date,
    /// `Map<Utf8, Utf8>` parsed from the `tags` string.
    Tags,
    /// `Map<Utf8, Utf8>` of unknown fields and unconvertible values.
    Extra,
}

/// One column of the lake schema.
#[derive(Debug, Clone, Copy)]
pub struct ColumnDef {
    /// snake_case column name.
    pub name: &'static str,
    /// Arrow type family.
    pub kind: Kind,
    /// API field names (lower-cased) that feed this column.
    pub sources: &'static [&'static str],
}

const fn col(name: &'static str, kind: Kind, sources: &'static [&'static str]) -> ColumnDef {
    ColumnDef {
        name,
        kind,
        sources,
    }
}

/// Every column, in file order.
pub const COLUMNS: &[ColumnDef] = &[
    col("usage_date", Kind::Date, &["date"]),
    col("enrollment_number", Kind::Utf8, &["enrollmentnumber"]),
    col("account_id", Kind::Int64, &["accountid"]),
    col("account_name", Kind::Utf8, &["accountname"]),
    col(
        "account_owner_email",
        Kind::Utf8,
        &["accountowneremail", "accountownerid"],
    ),
    col("department_id", Kind::Int64, &["departmentid"]),
    col("department_name", Kind::Utf8, &["departmentname"]),
    col("cost_center", Kind::Utf8, &["costcenter"]),
    col("subscription_id", Kind::Int64, &["subscriptionid"]),
    col("subscription_guid", Kind::Utf8, &["subscriptionguid"]),
    col("subscription_name", Kind::Utf8, &["subscriptionname"]),
    col(
        "service_administrator_id",
        Kind::Utf8,
        &["serviceadministratorid"],
    ),
    col("product_id", Kind::Int64, &["productid"]),
    col("product", Kind::Utf8, &["product"]),
    col("meter_id", Kind::Utf8, &["meterid"]),
    col("meter_category", Kind::Utf8, &["metercategory"]),
    col("meter_sub_category", Kind::Utf8, &["metersubcategory"]),
    col("meter_region", Kind::Utf8, &["meterregion"]),
    col("meter_name", Kind::Utf8, &["metername"]),
    col("unit_of_measure", Kind::Utf8, &["unitofmeasure"]),
    col("consumed_quantity", Kind::Decimal, &["consumedquantity"]),
    col("resource_rate", Kind::Decimal, &["resourcerate"]),
    col("cost", Kind::Decimal, &["cost"]),
    col("extended_cost", Kind::Decimal, &["extendedcost"]),
    col("resource_location_id", Kind::Int64, &["resourcelocationid"]),
    col("resource_location", Kind::Utf8, &["resourcelocation"]),
    col("consumed_service_id", Kind::Int64, &["consumedserviceid"]),
    col("consumed_service", Kind::Utf8, &["consumedservice"]),
    col("instance_id", Kind::Utf8, &["instanceid"]),
    col("resource_group", Kind::Utf8, &["resourcegroup"]),
    col("service_info1", Kind::Utf8, &["serviceinfo1"]),
    col("service_info2", Kind::Utf8, &["serviceinfo2"]),
    col("additional_info", Kind::Utf8, &["additionalinfo"]),
    col(
        "store_service_identifier",
        Kind::Utf8,
        &["storeserviceidentifier"],
    ),
    col("tags", Kind::Tags, &["tags"]),
    col("extra_fields", Kind::Extra, &[]),
];

/// Number of columns.
pub const NUM_COLUMNS: usize = COLUMNS.len();

/// Index of a column by name; panics on an unknown name (programming error).
pub const fn index_of(name: &str) -> usize {
    let mut i = 0;
    while i < COLUMNS.len() {
        if const_str_eq(COLUMNS[i].name, name) {
            return i;
        }
        i += 1;
    }
    panic!("unknown column");
}

const fn const_str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// Column index of `usage_date`.
pub const USAGE_DATE: usize = index_of("usage_date");
/// Column index of `enrollment_number`.
pub const ENROLLMENT_NUMBER: usize = index_of("enrollment_number");
/// Column index of `cost`.
pub const COST: usize = index_of("cost");
/// Column index of `tags`.
pub const TAGS: usize = index_of("tags");
/// Column index of `extra_fields`.
pub const EXTRA_FIELDS: usize = index_of("extra_fields");

/// The column an API field feeds, matched case-insensitively; `None` for unknown fields.
pub fn column_for_field(key: &str) -> Option<usize> {
    let bytes = key.as_bytes();
    if bytes.len() > 32 {
        return None;
    }
    let mut buf = [0u8; 32];
    for (d, s) in buf.iter_mut().zip(bytes) {
        *d = s.to_ascii_lowercase();
    }
    let lower = &buf[..bytes.len()];
    COLUMNS
        .iter()
        .position(|c| c.sources.iter().any(|s| s.as_bytes() == lower))
}

/// The Arrow type of a `Map<Utf8, Utf8>` column, with spec-compliant `key_value`/`key`/`value` names.
pub fn string_map_type() -> DataType {
    DataType::Map(Arc::new(map_entries_field()), false)
}

/// The entries field of a string map (`key_value` struct of `key` and `value`).
pub fn map_entries_field() -> Field {
    Field::new(
        "key_value",
        DataType::Struct(Fields::from(vec![map_key_field(), map_value_field()])),
        false,
    )
}

/// The key field of a string map: `key`, Utf8, required.
pub fn map_key_field() -> Field {
    Field::new("key", DataType::Utf8, false)
}

/// The value field of a string map: `value`, Utf8, optional.
pub fn map_value_field() -> Field {
    Field::new("value", DataType::Utf8, true)
}

/// The Arrow type of a column kind.
pub fn data_type(kind: Kind) -> DataType {
    match kind {
        Kind::Int64 => DataType::Int64,
        Kind::Utf8 => DataType::Utf8,
        Kind::Decimal => DataType::Decimal128(DECIMAL_PRECISION, DECIMAL_SCALE),
        Kind::Date => DataType::Date32,
        Kind::Tags | Kind::Extra => string_map_type(),
    }
}

/// The lake's Arrow schema. Every column is nullable: the API omits fields freely.
pub fn arrow_schema() -> SchemaRef {
    let fields: Vec<Field> = COLUMNS
        .iter()
        .map(|c| Field::new(c.name, data_type(c.kind), true))
        .collect();
    Arc::new(Schema::new(fields))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_names_match_case_insensitively() {
        assert_eq!(column_for_field("Cost"), Some(COST));
        assert_eq!(column_for_field("cost"), Some(COST));
        assert_eq!(column_for_field("COST"), Some(COST));
        let csid = index_of("consumed_service_id");
        assert_eq!(column_for_field("consumedServiceId"), Some(csid));
        assert_eq!(column_for_field("consumedServiceID"), Some(csid));
        assert_eq!(
            column_for_field("extendedCost"),
            Some(index_of("extended_cost"))
        );
        assert_eq!(column_for_field("somethingNew"), None);
        assert_eq!(column_for_field(&"x".repeat(100)), None);
    }

    #[test]
    fn no_source_field_feeds_two_columns() {
        let mut all: Vec<&str> = COLUMNS
            .iter()
            .flat_map(|c| c.sources.iter().copied())
            .collect();
        let n = all.len();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), n);
    }

    #[test]
    fn schema_file_matches_code() {
        let file: serde_json::Value =
            serde_json::from_str(include_str!("../schemas/usage_details.v1.json")).unwrap();
        assert_eq!(file["version"].as_str(), Some(SCHEMA_VERSION));
        let cols = file["columns"].as_array().unwrap();
        assert_eq!(cols.len(), COLUMNS.len());
        for (c, f) in COLUMNS.iter().zip(cols) {
            assert_eq!(f["name"].as_str(), Some(c.name));
            let ty = match c.kind {
                Kind::Int64 => "int64",
                Kind::Utf8 => "utf8",
                Kind::Decimal => "decimal128(38,18)",
                Kind::Date => "date32",
                Kind::Tags | Kind::Extra => "map<utf8,utf8>",
            };
            assert_eq!(f["type"].as_str(), Some(ty), "column {}", c.name);
            assert_eq!(f["nullable"].as_bool(), Some(true));
            let sources: Vec<String> = f["api_fields"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s.as_str().unwrap().to_ascii_lowercase())
                .collect();
            assert_eq!(sources, c.sources, "column {}", c.name);
        }
    }
}
