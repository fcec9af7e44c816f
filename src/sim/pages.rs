//! One usage-details page of the simulator: its rows, its `nextLink`, its `ETag` and the
//! faults that bend them. Pure but for the delay faults.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::time::Duration;

use chrono::Datelike;

use super::data::{MonthSpec, row_json};
use super::faults::Fault;
use super::server::Segments;
use crate::source::ApiVersion;

/// What one request asks for.
pub(super) struct PageRequest<'a> {
    /// The months served and each one's row range.
    pub segments: &'a Segments,
    /// 1-based page.
    pub page: u64,
    /// Rows per page.
    pub page_size: u64,
    /// API version (the id field's name).
    pub version: ApiVersion,
    /// Faults in force.
    pub faults: &'a [Fault],
    /// The `Host` the client used (links point back at it).
    pub host: &'a str,
    /// The request path.
    pub path: &'a str,
    /// The request query.
    pub query: &'a HashMap<String, String>,
}

/// A page's JSON up to (not including) its `nextLink`.
pub(super) struct Rendered {
    /// `{"id":…,"data":[…]` without the closing brace.
    pub data: String,
    /// The `nextLink`, if any.
    pub next: Option<String>,
}

/// Sleeps for the delay faults that apply to `page`.
pub(super) async fn delay(faults: &[Fault], page: u64) {
    for f in faults {
        match f {
            Fault::Latency(ms) => tokio::time::sleep(Duration::from_millis(*ms)).await,
            Fault::Slow { ms, page: p } if *p == page => {
                tokio::time::sleep(Duration::from_millis(*ms)).await
            }
            _ => {}
        }
    }
}

fn total_rows(segments: &Segments) -> u64 {
    segments.iter().map(|(_, lo, hi)| hi - lo).sum()
}

/// The link to `page` (or, with `None`, to page 1) on `host`, with the request's other
/// query parameters in a stable order.
fn link(r: &PageRequest<'_>, host: &str, page: Option<u64>) -> String {
    let mut parts: Vec<String> = r
        .query
        .iter()
        .filter(|(k, _)| k.as_str() != "skiptoken")
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    parts.sort();
    if let Some(p) = page {
        parts.push(format!("skiptoken={p}"));
    }
    let query = if parts.is_empty() {
        String::new()
    } else {
        format!("?{}", parts.join("&"))
    };
    format!("http://{host}{}{query}", r.path)
}

fn next_link(r: &PageRequest<'_>) -> Option<String> {
    let (page, faults) = (r.page, r.faults);
    if faults.contains(&Fault::Loop(page)) {
        return Some(link(r, r.host, None));
    }
    if faults.contains(&Fault::Foreign(page)) {
        let port = r.host.rsplit_once(':').map(|(_, p)| p).unwrap_or("80");
        return Some(link(r, &format!("foreign.invalid:{port}"), Some(page + 1)));
    }
    (page * r.page_size < total_rows(r.segments)).then(|| link(r, r.host, Some(page + 1)))
}

/// The month after `spec`'s, same enrollment and size (for `misdate`).
fn following_month(spec: &MonthSpec) -> MonthSpec {
    let d = chrono::NaiveDate::from_ymd_opt(spec.year, spec.month, 1)
        .and_then(|d| d.checked_add_months(chrono::Months::new(1)))
        .expect("valid month");
    MonthSpec {
        year: d.year(),
        month: d.month(),
        ..spec.clone()
    }
}

/// Renders the page's rows.
pub(super) fn render(r: &PageRequest<'_>) -> Rendered {
    let total = total_rows(r.segments);
    let (from, to) = (
        (r.page - 1) * r.page_size,
        (r.page * r.page_size).min(total),
    );
    let mut body = String::with_capacity((to.saturating_sub(from) * 1100) as usize + 256);
    let id_key = if r.version == ApiVersion::V1 {
        "reportId"
    } else {
        "id"
    };
    body.push_str(&format!(
        "{{\"{id_key}\":\"{}\",\"data\":",
        r.path.trim_start_matches('/')
    ));
    if r.faults.contains(&Fault::DataObject(r.page)) {
        body.push_str("{\"rows\":[]}");
    } else {
        let misdate = r.faults.contains(&Fault::Misdate(r.page));
        let change = r.faults.contains(&Fault::Change(r.page));
        body.push('[');
        let mut offset = 0u64;
        let mut first = true;
        for (spec, lo, hi) in r.segments {
            let len = hi - lo;
            let shifted = misdate.then(|| following_month(spec));
            let spec = shifted.as_ref().unwrap_or(spec);
            for k in from.max(offset)..to.min(offset + len) {
                if !first {
                    body.push(',');
                }
                first = false;
                let mut row = row_json(spec, lo + (k - offset));
                if change {
                    row.pop();
                    row.push_str(",\"simChanged\":\"1\"}");
                }
                body.push_str(&row);
            }
            offset += len;
        }
        body.push(']');
    }
    Rendered {
        data: body,
        next: next_link(r),
    }
}

fn quoted_hash(h: u64) -> String {
    format!("\"{h:016x}\"")
}

/// An `ETag` over the page's data (not the nextLink, which names this server's port).
pub(super) fn page_etag(data: &str) -> String {
    let mut h = DefaultHasher::new();
    h.write(data.as_bytes());
    quoted_hash(h.finish())
}

/// An `ETag` over the whole month's data: every segment's month, size and revision, and every
/// fault that changes rows. Equal on every page, and it changes when any page's rows change.
pub(super) fn month_etag(segments: &Segments, faults: &[Fault]) -> String {
    let mut h = DefaultHasher::new();
    for (spec, lo, hi) in segments {
        (
            &spec.enrollment,
            spec.year,
            spec.month,
            spec.version.as_str(),
            spec.rows,
            spec.revision,
            lo,
            hi,
        )
            .hash(&mut h);
    }
    for f in faults {
        if let Fault::Misdate(p) | Fault::Change(p) | Fault::DataObject(p) = f {
            (format!("{f:?}"), p).hash(&mut h);
        }
    }
    quoted_hash(h.finish())
}

/// The body: the rendered data, its `nextLink`, and the faults that break a page's form.
pub(super) fn finish(r: &PageRequest<'_>, rendered: Rendered) -> String {
    let mut body = rendered.data;
    match &rendered.next {
        Some(l) => body.push_str(&format!(
            ",\"nextLink\":{}}}",
            serde_json::to_string(l).expect("str")
        )),
        None => body.push_str(",\"nextLink\":null}"),
    }
    let page = r.page;
    if r.faults.contains(&Fault::Truncate(page)) {
        let mut cut = body.len() / 2;
        while !body.is_char_boundary(cut) {
            cut -= 1;
        }
        body.truncate(cut);
    }
    if r.faults.contains(&Fault::Html(page)) {
        body = "<html><body><h1>Service Unavailable</h1></body></html>".into();
    }
    if r.faults.contains(&Fault::Csv(page)) {
        body = "\"Usage Data Extract\",\n\"AccountOwnerId\",\"Account Name\"\n".into();
    }
    body
}
