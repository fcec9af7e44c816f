//! Decode one saved EA usage-details page and print what the lake would hold.
//!
//! ```text
//! python3 ../shared/bench/gen_usage_pages.py --rows 1000 --out /tmp/pages
//! cargo run --example decode_page -- /tmp/pages/page-00001.json
//! ```

use arrow_array::Array;
use arrow_array::cast::AsArray;
use arrow_array::types::Decimal128Type;
use ea_usage_archiver::decode::decode_page;
use ea_usage_archiver::money::format_scaled;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .ok_or("usage: decode_page PAGE.json")?;
    let body = std::fs::read(&path)?;
    let page = decode_page(&body, 1, "1234567")?;
    let s = &page.stats;
    println!(
        "{} rows, cost total {}, {} unknown fields, {} unparsed values, {} rounded decimals",
        s.rows,
        s.cost_total.map(format_scaled).unwrap_or_default(),
        s.unknown_fields,
        s.unparsed_values,
        s.rounded_decimals
    );
    println!(
        "next page: {}",
        page.next_link.as_deref().unwrap_or("(none)")
    );
    let b = &page.batch;
    let cost = b
        .column_by_name("cost")
        .unwrap()
        .as_primitive::<Decimal128Type>();
    let meter = b
        .column_by_name("meter_category")
        .unwrap()
        .as_string::<i32>();
    let tags = b.column_by_name("tags").unwrap().as_map();
    for row in 0..b.num_rows().min(5) {
        let tag_count = if tags.is_null(row) {
            "null".to_string()
        } else {
            tags.value(row).len().to_string()
        };
        println!(
            "{row}: {:<24} cost={:<24} tags={tag_count}",
            meter.value(row),
            if cost.is_null(row) {
                "null".into()
            } else {
                format_scaled(cost.value(row))
            },
        );
    }
    Ok(())
}
