//! The fixed, versioned Arrow schema of the lake and the map from API field names to columns.
//!
//! `schemas/usage_details.v2.json` is the machine-readable copy of this table (and
//! `usage_details.v1.json` the version-1 table, its prefix); unit tests check that they agree,
//! so the files cannot drift from the code.

use std::sync::Arc;

use arrow_schema::{DataType, Field, Fields, Schema, SchemaRef};

/// Version of the lake schema, written into every file's metadata. Version 2 keeps every column
/// of version 1 as it was (the same names, types and order) and adds nullable columns after them,
/// so files of both versions read as one table.
pub const SCHEMA_VERSION: &str = "2";

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
    /// `Boolean`.
    Bool,
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
    /// EA API field names (lower-cased) that feed this column.
    pub sources: &'static [&'static str],
    /// Cost Details CSV column names (lower-cased) that feed it, tried before `sources` (the
    /// two APIs share names with other meanings: Cost Details' `SubscriptionId` is a GUID).
    pub csv: &'static [&'static str],
    /// The schema version that added it.
    pub since: u8,
}

const fn col(name: &'static str, kind: Kind, sources: &'static [&'static str]) -> ColumnDef {
    ColumnDef {
        name,
        kind,
        sources,
        csv: &[],
        since: 1,
    }
}

/// A version-1 column that Cost Details columns also feed.
const fn col_cd(
    name: &'static str,
    kind: Kind,
    sources: &'static [&'static str],
    csv: &'static [&'static str],
) -> ColumnDef {
    ColumnDef {
        name,
        kind,
        sources,
        csv,
        since: 1,
    }
}

/// A column added in version 2.
const fn v2(
    name: &'static str,
    kind: Kind,
    sources: &'static [&'static str],
    csv: &'static [&'static str],
) -> ColumnDef {
    ColumnDef {
        name,
        kind,
        sources,
        csv,
        since: 2,
    }
}

/// Every column, in file order.
pub const COLUMNS: &[ColumnDef] = &[
    col("usage_date", Kind::Date, &["date"]),
    col("enrollment_number", Kind::Utf8, &["enrollmentnumber"]),
    col("account_id", Kind::Int64, &["accountid"]),
    col("account_name", Kind::Utf8, &["accountname"]),
    col_cd(
        "account_owner_email",
        Kind::Utf8,
        &["accountowneremail", "accountownerid"],
        &[],
    ),
    col("department_id", Kind::Int64, &["departmentid"]),
    col_cd(
        "department_name",
        Kind::Utf8,
        &["departmentname"],
        &["invoicesectionname", "invoicesection"],
    ),
    col("cost_center", Kind::Utf8, &["costcenter"]),
    col("subscription_id", Kind::Int64, &["subscriptionid"]),
    col_cd(
        "subscription_guid",
        Kind::Utf8,
        &["subscriptionguid"],
        &["subscriptionid", "subscriptionguid"],
    ),
    col("subscription_name", Kind::Utf8, &["subscriptionname"]),
    col(
        "service_administrator_id",
        Kind::Utf8,
        &["serviceadministratorid"],
    ),
    col("product_id", Kind::Int64, &["productid"]),
    col_cd("product", Kind::Utf8, &["product"], &["productname"]),
    col("meter_id", Kind::Utf8, &["meterid"]),
    col("meter_category", Kind::Utf8, &["metercategory"]),
    col("meter_sub_category", Kind::Utf8, &["metersubcategory"]),
    col("meter_region", Kind::Utf8, &["meterregion"]),
    col("meter_name", Kind::Utf8, &["metername"]),
    col("unit_of_measure", Kind::Utf8, &["unitofmeasure"]),
    col_cd(
        "consumed_quantity",
        Kind::Decimal,
        &["consumedquantity"],
        &["quantity"],
    ),
    col_cd(
        "resource_rate",
        Kind::Decimal,
        &["resourcerate"],
        &["effectiveprice"],
    ),
    col_cd("cost", Kind::Decimal, &["cost"], &["costinbillingcurrency"]),
    col("extended_cost", Kind::Decimal, &["extendedcost"]),
    col("resource_location_id", Kind::Int64, &["resourcelocationid"]),
    col("resource_location", Kind::Utf8, &["resourcelocation"]),
    col("consumed_service_id", Kind::Int64, &["consumedserviceid"]),
    col("consumed_service", Kind::Utf8, &["consumedservice"]),
    col_cd("instance_id", Kind::Utf8, &["instanceid"], &["resourceid"]),
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
    // Version 2: the Cost Details API's columns (EA API rows fill those they carry).
    v2(
        "billing_currency",
        Kind::Utf8,
        &["billingcurrency"],
        &["billingcurrencycode"],
    ),
    v2("charge_type", Kind::Utf8, &["chargetype"], &[]),
    v2("pricing_model", Kind::Utf8, &["pricingmodel"], &[]),
    v2("frequency", Kind::Utf8, &["frequency"], &[]),
    v2("term", Kind::Utf8, &["term"], &[]),
    v2("reservation_id", Kind::Utf8, &["reservationid"], &[]),
    v2("reservation_name", Kind::Utf8, &["reservationname"], &[]),
    v2("benefit_id", Kind::Utf8, &["benefitid"], &[]),
    v2("benefit_name", Kind::Utf8, &["benefitname"], &[]),
    v2("product_order_id", Kind::Utf8, &["productorderid"], &[]),
    v2("product_order_name", Kind::Utf8, &["productordername"], &[]),
    v2("offer_id", Kind::Utf8, &["offerid"], &[]),
    v2("part_number", Kind::Utf8, &["partnumber"], &[]),
    v2("plan_name", Kind::Utf8, &["planname"], &[]),
    v2("publisher_name", Kind::Utf8, &["publishername"], &[]),
    v2("publisher_type", Kind::Utf8, &["publishertype"], &[]),
    v2("service_family", Kind::Utf8, &["servicefamily"], &[]),
    v2("resource_name", Kind::Utf8, &["resourcename"], &[]),
    v2("availability_zone", Kind::Utf8, &["availabilityzone"], &[]),
    v2("invoice_section_id", Kind::Utf8, &["invoicesectionid"], &[]),
    v2("billing_account_id", Kind::Utf8, &["billingaccountid"], &[]),
    v2(
        "billing_account_name",
        Kind::Utf8,
        &["billingaccountname"],
        &[],
    ),
    v2("billing_profile_id", Kind::Utf8, &["billingprofileid"], &[]),
    v2(
        "billing_profile_name",
        Kind::Utf8,
        &["billingprofilename"],
        &[],
    ),
    v2(
        "cost_allocation_rule_name",
        Kind::Utf8,
        &["costallocationrulename"],
        &[],
    ),
    v2("unit_price", Kind::Decimal, &["unitprice"], &[]),
    v2("payg_price", Kind::Decimal, &["paygprice"], &[]),
    v2(
        "is_azure_credit_eligible",
        Kind::Bool,
        &["isazurecrediteligible"],
        &[],
    ),
    v2(
        "billing_period_start",
        Kind::Date,
        &["billingperiodstartdate"],
        &["billingperiodstart"],
    ),
    v2(
        "billing_period_end",
        Kind::Date,
        &["billingperiodenddate"],
        &["billingperiodend"],
    ),
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

/// The column an EA API field feeds, matched case-insensitively; `None` for unknown fields.
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

/// The column a Cost Details CSV column feeds, matched case-insensitively: its own names first,
/// then the EA names (both column generations share most of them). `None` for unknown columns.
pub fn column_for_csv(header: &str) -> Option<usize> {
    let lower = header.trim().to_ascii_lowercase();
    COLUMNS
        .iter()
        .position(|c| c.csv.contains(&lower.as_str()))
        .or_else(|| column_for_field(&lower))
}

/// Why `--by` names a column that cannot group rows; `None` when it can.
pub(crate) fn ungroupable(column: &str) -> Option<String> {
    match COLUMNS.iter().find(|c| c.name == column) {
        None => Some(format!("{column:?} is not a column of the lake schema")),
        Some(c) if matches!(c.kind, Kind::Tags | Kind::Extra) => Some(format!(
            "{column:?} is a map column; maps cannot group rows"
        )),
        Some(_) => None,
    }
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
        Kind::Bool => DataType::Boolean,
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
mod tests;
