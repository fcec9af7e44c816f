//! `bench-parse` (hidden): the typed-parse floor for the benchmark. Parses every page of a
//! directory single-threaded into a typed serde struct (borrowed strings, f64 numbers) and
//! does nothing else, so it shows what JSON parsing alone costs.

use std::borrow::Cow;
use std::path::Path;

use serde::Deserialize;

#[derive(Deserialize)]
#[allow(dead_code)] // fields are parsed, not read
#[serde(rename_all = "camelCase")]
struct Row<'a> {
    account_id: Option<i64>,
    product_id: Option<i64>,
    resource_location_id: Option<i64>,
    consumed_service_id: Option<i64>,
    department_id: Option<i64>,
    #[serde(borrow)]
    account_owner_email: Option<Cow<'a, str>>,
    #[serde(borrow)]
    account_name: Option<Cow<'a, str>>,
    #[serde(borrow)]
    service_administrator_id: Option<Cow<'a, str>>,
    subscription_id: Option<i64>,
    #[serde(borrow)]
    subscription_guid: Option<Cow<'a, str>>,
    #[serde(borrow)]
    subscription_name: Option<Cow<'a, str>>,
    #[serde(borrow)]
    date: Option<Cow<'a, str>>,
    #[serde(borrow)]
    product: Option<Cow<'a, str>>,
    #[serde(borrow)]
    meter_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    meter_category: Option<Cow<'a, str>>,
    #[serde(borrow)]
    meter_sub_category: Option<Cow<'a, str>>,
    #[serde(borrow)]
    meter_region: Option<Cow<'a, str>>,
    #[serde(borrow)]
    meter_name: Option<Cow<'a, str>>,
    consumed_quantity: Option<f64>,
    resource_rate: Option<f64>,
    #[serde(alias = "Cost")]
    cost: Option<f64>,
    #[serde(borrow)]
    resource_location: Option<Cow<'a, str>>,
    #[serde(borrow)]
    consumed_service: Option<Cow<'a, str>>,
    #[serde(borrow)]
    instance_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    service_info1: Option<Cow<'a, str>>,
    #[serde(borrow)]
    service_info2: Option<Cow<'a, str>>,
    #[serde(borrow)]
    additional_info: Option<Cow<'a, str>>,
    #[serde(borrow)]
    tags: Option<Cow<'a, str>>,
    #[serde(borrow)]
    store_service_identifier: Option<Cow<'a, str>>,
    #[serde(borrow)]
    department_name: Option<Cow<'a, str>>,
    #[serde(borrow)]
    cost_center: Option<Cow<'a, str>>,
    #[serde(borrow)]
    unit_of_measure: Option<Cow<'a, str>>,
    #[serde(borrow)]
    resource_group: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct Page<'a> {
    #[serde(borrow)]
    data: Vec<Row<'a>>,
}

/// Parses every page file in `dir`; returns the number of rows.
pub(crate) fn parse_dir(dir: &Path) -> Result<u64, String> {
    let files = crate::source::replay::list_page_files(dir).map_err(|e| e.to_string())?;
    let pool = std::sync::Arc::new(crate::source::replay::BufferPool::default());
    let mut rows = 0u64;
    for f in files {
        let body = crate::source::replay::read_page_file(&f, &pool).map_err(|e| e.to_string())?;
        let page: Page<'_> =
            serde_json::from_slice(&body).map_err(|e| format!("{}: {e}", f.display()))?;
        rows += page.data.len() as u64;
    }
    Ok(rows)
}
