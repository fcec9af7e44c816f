//! Decoder micro-benchmarks: one 1,000-row page from the simulator (every tags form, exact
//! decimals, four date forms), decoded into an Arrow batch. Reports rows/s and bytes/s.
//!
//! `cargo bench --bench decode`; CI runs it once as a smoke test (`-- --test`).

use divan::counter::{BytesCount, ItemsCount};
use ea_usage_archiver::ApiVersion;
use ea_usage_archiver::decode::decode_page;
use ea_usage_archiver::decode::parse_tags;
use ea_usage_archiver::sim::data::{MonthSpec, row_json};

fn main() {
    divan::main();
}

fn page(rows: u64) -> Vec<u8> {
    let spec = MonthSpec {
        enrollment: "1234567".into(),
        year: 2024,
        month: 1,
        version: ApiVersion::V2,
        rows,
        revision: 0,
    };
    let data: Vec<String> = (0..rows).map(|i| row_json(&spec, i)).collect();
    format!(
        "{{\"id\":\"bench\",\"data\":[{}],\"nextLink\":null}}",
        data.join(",")
    )
    .into_bytes()
}

#[divan::bench]
fn decode_1000_row_page(bencher: divan::Bencher) {
    let body = page(1000);
    bencher
        .counter(ItemsCount::new(1000usize))
        .counter(BytesCount::new(body.len()))
        .bench(|| decode_page(divan::black_box(&body), 1, "1234567").expect("valid page"));
}

#[divan::bench(args = [
    r#"{"env":"prod","costCenter":"1234","owner":"anna.smith@contoso.com"}"#,
    r#""env": "prod","team": "data""#,
    r#"{  "env": "prod",  "owner": "O\"Brien",  "city": "Zürich"}"#,
])]
fn tags(tags: &str) -> usize {
    match parse_tags(divan::black_box(tags)) {
        ea_usage_archiver::decode::Tags::Map(m) => m.len(),
        _ => 0,
    }
}
