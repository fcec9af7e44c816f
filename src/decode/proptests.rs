//! Property tests of the pure decoders: for any input they never panic and never lose a row;
//! a value lands in its column or verbatim in `extra_fields`.

use arrow_array::Array;
use arrow_array::cast::AsArray;
use arrow_array::types::Decimal128Type;
use proptest::prelude::*;

use super::date::parse_usage_date;
use super::decimal::{Decimal, parse_decimal};
use super::decode_page;
use super::tags::{Tags, parse_tags};
use crate::json::scan;
use crate::schema::{COST, EXTRA_FIELDS, TAGS};

fn config() -> ProptestConfig {
    // Bounded for CI; raise PROPTEST_CASES locally for a longer run.
    ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(2048),
    )
}

/// A JSON value as text, of the kinds the API sends.
fn json_value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("null".to_string()),
        any::<bool>().prop_map(|b| b.to_string()),
        any::<i64>().prop_map(|i| i.to_string()),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| format!("{f:e}")),
        "-?[1-9][0-9]{0,29}\\.[0-9]{1,30}".prop_map(|s| s),
        any::<String>().prop_map(|s| serde_json::to_string(&s).unwrap()),
        "\\{[a-z\":, 0-9]{0,20}\\}".prop_map(|s| serde_json::to_string(&s).unwrap()),
        Just(r#"{"nested":[1,2,{"a":null}]}"#.to_string()),
    ]
}

/// A JSON document: a value, or an object or array of them.
fn json_doc() -> impl Strategy<Value = String> {
    prop_oneof![
        json_value(),
        proptest::collection::vec((any::<String>(), json_value()), 0..4).prop_map(|kv| {
            let body: Vec<String> = kv
                .iter()
                .map(|(k, v)| format!("{}: {v}", serde_json::to_string(k).unwrap()))
                .collect();
            format!("{{ {} }}", body.join(" ,"))
        }),
        proptest::collection::vec(json_value(), 0..4).prop_map(|v| format!("[{}]", v.join(","))),
    ]
}

/// Bytes that matter to a JSON reader, for mutations.
const JSON_BYTES: [char; 22] = [
    '"', '\\', '{', '}', '[', ']', ',', ':', '0', '1', '-', '+', '.', 'e', 'E', 'n', 'u', ' ',
    '\t', '\u{1}', 'x', '/',
];

const KEYS: [&str; 13] = [
    r#"odd\"key"#,
    "cost",
    "Cost",
    "date",
    "tags",
    "accountId",
    "consumedServiceID",
    "resourceRate",
    "meterName",
    "weird",
    "x y",
    "extendedCost",
    "additionalInfo",
];

/// One edit of `text` near `at`: the character there deleted, or `c` inserted.
fn mutate(text: &mut String, at: proptest::sample::Index, delete: bool, c: char) {
    let mut i = at.index(text.len() + 1);
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    if delete && i < text.len() {
        text.remove(i);
    } else {
        text.insert(i, c);
    }
}

/// A page of `rows`, each a list of (key index, value text).
fn page_text(rows: &[Vec<(usize, String)>]) -> String {
    let rows: Vec<String> = rows
        .iter()
        .map(|r| {
            let fields: Vec<String> = r
                .iter()
                .map(|(k, v)| format!("\"{}\":{v}", KEYS[*k]))
                .collect();
            format!("{{{}}}", fields.join(","))
        })
        .collect();
    format!("{{\"data\":[{}],\"nextLink\":null}}", rows.join(","))
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn decimal_parsing_never_panics(s in any::<String>()) {
        let _ = parse_decimal(&s);
    }

    #[test]
    fn decimals_round_trip_exactly(int in 0u64..10_000_000_000, frac in 0u64..1_000_000_000_000_000_000, neg in any::<bool>()) {
        let text = format!("{}{int}.{frac:018}", if neg { "-" } else { "" });
        let want = (int as i128 * 10i128.pow(18) + frac as i128) * if neg { -1 } else { 1 };
        prop_assert_eq!(parse_decimal(&text), Some(Decimal::Exact(want)));
        // Same value in exponent form and as a quoted string's content.
        let mantissa = format!("{}{int}{frac:018}", if neg { "-" } else { "" });
        prop_assert_eq!(parse_decimal(&format!("{mantissa}E-18")), Some(Decimal::Exact(want)));
    }

    #[test]
    fn date_parsing_never_panics(s in any::<String>()) {
        let _ = parse_usage_date(&s);
    }

    #[test]
    fn date_like_text_with_long_digit_runs_never_panics(
        s in "[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9:.]{0,60}(Z|[+-][0-9:]{0,30})?|[0-9]{1,30}/[0-9]{1,30}/[0-9]{4,30}( [0-9:]{0,40})?"
    ) {
        let _ = parse_usage_date(&s);
    }

    #[test]
    fn every_date_form_gives_the_same_day(y in 2014i32..2040, m in 1u32..=12, d in 1u32..=28) {
        let iso = parse_usage_date(&format!("{y:04}-{m:02}-{d:02}"));
        prop_assert!(iso.is_some());
        for s in [
            format!("{y:04}-{m:02}-{d:02}T00:00:00"),
            format!("{y:04}-{m:02}-{d:02}T00:00:00.0000000"),
            format!("{y:04}-{m:02}-{d:02}T23:59:59Z"),
            format!("{m:02}/{d:02}/{y:04}"),
            format!("{m}/{d}/{y:04}"),
        ] {
            prop_assert_eq!(parse_usage_date(&s), iso, "{}", s);
        }
    }

    #[test]
    fn tags_parsing_never_panics(s in any::<String>()) {
        let _ = parse_tags(&s);
    }

    #[test]
    fn tags_objects_round_trip_with_and_without_braces(
        entries in proptest::collection::vec((any::<String>(), proptest::option::of(any::<String>())), 0..8)
    ) {
        let body: Vec<String> = entries
            .iter()
            .map(|(k, v)| format!("{}: {}", serde_json::to_string(k).unwrap(), v.as_ref().map_or("null".into(), |v| serde_json::to_string(v).unwrap())))
            .collect();
        let mut want: Vec<(String, Option<String>)> = Vec::new();
        for (k, v) in &entries {
            match want.iter_mut().find(|(wk, _)| wk == k) {
                Some(slot) => slot.1 = v.clone(),
                None => want.push((k.clone(), v.clone())),
            }
        }
        // A repeated key is reported as such (the caller keeps the text verbatim).
        let repeats = want.len() < entries.len();
        let as_owned = |t: Tags<'_>| match t {
            Tags::Map(m) if !repeats => Some(m.into_iter().map(|(k, v)| (k.into_owned(), v.map(|v| v.into_owned()))).collect::<Vec<_>>()),
            Tags::Repeated(m) if repeats => Some(m.into_iter().map(|(k, v)| (k.into_owned(), v.map(|v| v.into_owned()))).collect::<Vec<_>>()),
            _ => None,
        };
        prop_assert_eq!(as_owned(parse_tags(&format!("{{{}}}", body.join(",")))), Some(want.clone()));
        if !entries.is_empty() {
            prop_assert_eq!(as_owned(parse_tags(&body.join(","))), Some(want));
        }
    }

    #[test]
    fn brace_less_tags_read_as_their_braced_text_does(
        entries in proptest::collection::vec((any::<String>(), json_value()), 1..5),
        at in any::<proptest::sample::Index>(),
        edit in proptest::option::of((any::<bool>(), proptest::sample::select(JSON_BYTES.to_vec()))),
    ) {
        // Valid bodies and bodies with one byte inserted or deleted (often invalid): the
        // brace-less reading must give what the text wrapped in braces gives, map or not.
        let mut body = entries
            .iter()
            .map(|(k, v)| format!("{}: {v}", serde_json::to_string(k).unwrap()))
            .collect::<Vec<_>>()
            .join(",");
        if let Some((delete, c)) = edit {
            mutate(&mut body, at, delete, c);
        }
        prop_assume!(body.trim_ascii().starts_with('"'));
        let wrapped = format!("{{{}}}", body.trim_ascii());
        prop_assert_eq!(parse_tags(&body), parse_tags(&wrapped), "{:?}", body);
    }

    #[test]
    fn scanner_accepts_exactly_what_serde_json_accepts(
        doc in json_doc(),
        at in any::<proptest::sample::Index>(),
        edit in proptest::option::of((any::<bool>(), proptest::sample::select(JSON_BYTES.to_vec()))),
    ) {
        let mut text = doc;
        if let Some((delete, c)) = edit {
            mutate(&mut text, at, delete, c);
        }
        let ours = scan::validate(&text);
        let theirs = serde_json::from_str::<serde::de::IgnoredAny>(&text);
        prop_assert_eq!(ours.is_ok(), theirs.is_ok(), "{:?}: ours {:?}, serde_json {:?}", text, ours, theirs);
    }

    #[test]
    fn pages_that_are_not_json_are_refused(
        rows in proptest::collection::vec(proptest::collection::vec((0usize..KEYS.len(), json_value()), 0..6), 1..6),
        at in any::<proptest::sample::Index>(),
        delete in any::<bool>(),
        c in proptest::sample::select(JSON_BYTES.to_vec()),
    ) {
        // Rows repeat their keys, as real pages do, so the decoder's likely-key path is taken.
        let mut text = page_text(&[rows.clone(), rows].concat());
        mutate(&mut text, at, delete, c);
        if serde_json::from_str::<serde::de::IgnoredAny>(&text).is_err() {
            prop_assert!(decode_page(text.as_bytes(), 1, "1").is_err(), "accepted {:?}", text);
        }
    }

    #[test]
    fn page_decoding_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = decode_page(&bytes, 1, "1");
    }

    #[test]
    fn no_row_is_lost_and_every_value_is_kept(
        rows in proptest::collection::vec(proptest::collection::vec((0usize..KEYS.len(), json_value()), 0..10), 0..20)
    ) {
        let body = page_text(&rows);
        let page = decode_page(body.as_bytes(), 1, "1").expect("valid JSON page");
        prop_assert_eq!(page.batch.num_rows(), rows.len());
        prop_assert_eq!(page.stats.rows, rows.len() as u64);
        let cost = page.batch.column(COST).as_primitive::<Decimal128Type>();
        let extra = page.batch.column(EXTRA_FIELDS).as_map();
        let tags = page.batch.column(TAGS).as_map();
        for (i, row) in rows.iter().enumerate() {
            let extras = if extra.is_null(i) { 0 } else { extra.value(i).len() };
            // The value a field keeps verbatim in extra_fields: a string's text, else its JSON.
            let verbatim = |v: &str| -> String {
                if v.starts_with('"') { serde_json::from_str::<String>(v).unwrap() } else { v.to_string() }
            };
            let kept = |key: &str, want: &str| -> bool {
                if extra.is_null(i) {
                    return false;
                }
                let e = extra.value(i);
                let (k, v) = (e.column(0).as_string::<i32>(), e.column(1).as_string::<i32>());
                (0..e.len()).any(|j| k.value(j) == key && v.is_valid(j) && v.value(j) == want)
            };
            // Fields beyond the first spelling of a column, and unconvertible values, are extras.
            let first_cost = row.iter().find(|(k, _)| KEYS[*k].eq_ignore_ascii_case("cost"));
            if let Some((k, v)) = first_cost {
                let in_column = cost.is_valid(i);
                let blank = v == "null" || v == "\"\"" || (v.starts_with('"') && serde_json::from_str::<String>(v).unwrap().trim().is_empty());
                // Not converted: then exactly this field, with exactly its text, is kept.
                prop_assert!(in_column || blank || kept(KEYS[*k], &verbatim(v)), "cost {} neither in its column nor kept as it was", v);
            }
            if let Some((_, v)) = row.iter().find(|(k, _)| KEYS[*k] == "tags")
                && v.starts_with('{')
            {
                // An object-valued tags field becomes a map or is kept verbatim under its key.
                prop_assert!(tags.is_valid(i) || kept("tags", v), "tags {} neither a map nor kept", v);
            }
            prop_assert!(extras <= row.len());
        }
    }
}
