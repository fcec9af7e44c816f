//! Unit tests of the schema: the table against `schemas/*.json`, field-name mapping, types.

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
fn cost_details_columns_map_by_both_generations() {
    assert_eq!(column_for_csv("CostInBillingCurrency"), Some(COST));
    assert_eq!(column_for_csv("Cost"), Some(COST));
    assert_eq!(
        column_for_csv("SubscriptionId"),
        Some(index_of("subscription_guid"))
    );
    assert_eq!(
        column_for_field("subscriptionId"),
        Some(index_of("subscription_id"))
    );
    assert_eq!(
        column_for_csv("BillingCurrencyCode"),
        column_for_csv("billingCurrency")
    );
    assert_eq!(
        column_for_csv("InvoiceSectionName"),
        column_for_csv("InvoiceSection")
    );
    assert_eq!(column_for_csv("ProductName"), column_for_csv("Product"));
    assert_eq!(
        column_for_csv("Quantity"),
        Some(index_of("consumed_quantity"))
    );
    assert_eq!(
        column_for_csv("EffectivePrice"),
        Some(index_of("resource_rate"))
    );
    assert_eq!(column_for_csv("ResourceId"), Some(index_of("instance_id")));
    assert_eq!(column_for_csv("Date"), Some(USAGE_DATE));
    assert_eq!(column_for_csv("benefitId"), Some(index_of("benefit_id")));
    assert_eq!(
        column_for_csv("IsAzureCreditEligible"),
        Some(index_of("is_azure_credit_eligible"))
    );
    assert_eq!(column_for_csv("Tags"), Some(TAGS));
    assert_eq!(column_for_csv("SomethingNew"), None);
    // EA API rows fill the version-2 columns they carry.
    assert_eq!(
        column_for_field("partNumber"),
        Some(index_of("part_number"))
    );
}

#[test]
fn version_2_keeps_version_1_as_a_prefix() {
    let v1: serde_json::Value =
        serde_json::from_str(include_str!("../../schemas/usage_details.v1.json")).unwrap();
    let v1 = v1["columns"].as_array().unwrap();
    for (c, f) in COLUMNS.iter().zip(v1) {
        assert_eq!(f["name"].as_str(), Some(c.name));
        assert_eq!(c.since, 1, "{}", c.name);
    }
    assert!(COLUMNS[v1.len()..].iter().all(|c| c.since == 2));
}

fn index_of_name(name: &str) -> Option<usize> {
    COLUMNS.iter().position(|c| c.name == name)
}

#[test]
fn schema_file_matches_code() {
    let file: serde_json::Value =
        serde_json::from_str(include_str!("../../schemas/usage_details.v2.json")).unwrap();
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
            Kind::Bool => "boolean",
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
        let csv: Vec<String> = f["cost_details_columns"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_ascii_lowercase())
            .collect();
        // Every Cost Details name the file lists reaches the column, and every name of the
        // column's own Cost Details list is in the file.
        for name in &csv {
            assert_eq!(column_for_csv(name), index_of_name(c.name), "{name}");
        }
        assert!(
            c.csv.iter().all(|n| csv.contains(&n.to_string())),
            "column {}",
            c.name
        );
        assert_eq!(
            f["since"].as_u64(),
            Some(u64::from(c.since)),
            "column {}",
            c.name
        );
    }
}

#[test]
fn only_scalar_columns_of_the_schema_group_rows() {
    assert!(ungroupable("meter_category").is_none());
    assert!(ungroupable("tags").unwrap().contains("map"));
    assert!(ungroupable("nope").unwrap().contains("not a column"));
}
