//! The simulator's Cost Details API: `POST …/generateCostDetailsReport` answers `202` with a
//! `Location` and `Retry-After`; polling it answers `202` a few times, then `200` with a
//! manifest whose blob links (with a SAS-like `sig`) point at a second listener, the "blob
//! storage", which serves CSV parts and refuses any request that carries an `Authorization`
//! header. Faults: a forced final status (`Failed`, `TimedOut`), throttling of the POST, and
//! `NoDataFound` for a month with no rows.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::cost_csv::{self, Generation, SimMetric};
use super::data::MonthSpec;
use crate::ApiVersion;

/// Settings of the simulated Cost Details API.
#[derive(Debug, Clone)]
pub struct CostDetailsConfig {
    /// Column names of the reports.
    pub generation: Generation,
    /// Blobs per report (rows split evenly; at least 1).
    pub blobs: u32,
    /// Polls answered `202` before the report is ready.
    pub polls: u32,
    /// Gzip the blobs (`compressData`).
    pub gzip: bool,
    /// A final status other than `Completed` (`Failed`, `TimedOut`).
    pub final_status: Option<String>,
    /// `429` answers to the POST before it is accepted.
    pub throttle: u32,
}

impl Default for CostDetailsConfig {
    fn default() -> Self {
        Self {
            generation: Generation::Current,
            blobs: 3,
            polls: 2,
            gzip: false,
            final_status: None,
            throttle: 0,
        }
    }
}

/// One blob request the blob storage saw (for tests: no token may reach it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobRequest {
    /// The request path.
    pub path: String,
    /// Whether it carried an `Authorization` header.
    pub authorization: bool,
}

struct Report {
    spec: MonthSpec,
    metric: SimMetric,
    polls_left: u32,
}

/// What the Cost Details endpoints share.
#[derive(Default)]
pub(super) struct CostDetailsState {
    reports: Mutex<HashMap<u64, Report>>,
    next_id: Mutex<u64>,
    throttled: Mutex<u32>,
    /// Every blob request, in order.
    pub(super) blob_requests: Arc<Mutex<Vec<BlobRequest>>>,
}

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        serde_json::json!({"error": {"code": code, "message": message}}).to_string(),
    )
        .into_response()
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ReportBody {
    metric: Option<String>,
    billing_period: Option<String>,
}

/// `POST /providers/Microsoft.Billing/billingAccounts/{e}/providers/Microsoft.CostManagement/generateCostDetailsReport`.
pub(super) async fn generate(
    State(st): State<Arc<super::server::SimState>>,
    Path(enrollment): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    Json(body): Json<ReportBody>,
) -> Response {
    if !super::server::authorized(&headers, &st.cfg.api_key) {
        return error(
            StatusCode::UNAUTHORIZED,
            "InvalidAuthenticationToken",
            "The access token is invalid.",
        );
    }
    if q.get("api-version").map(String::as_str) != Some(crate::source::cost_details::API_VERSION) {
        return error(
            StatusCode::BAD_REQUEST,
            "InvalidApiVersion",
            "Unsupported api-version.",
        );
    }
    let cd = &st.cost_details;
    {
        let mut t = cd.throttled.lock().expect("lock");
        if *t < st.cfg.cost_details.throttle {
            *t += 1;
            let mut r = error(
                StatusCode::TOO_MANY_REQUESTS,
                "429",
                "Too many requests. Please retry after 1 seconds.",
            );
            r.headers_mut()
                .insert(header::RETRY_AFTER, "1".parse().expect("header"));
            return r;
        }
    }
    let metric = match body.metric.as_deref() {
        Some("ActualCost") => SimMetric::Actual,
        Some("AmortizedCost") => SimMetric::Amortized,
        _ => {
            return error(
                StatusCode::BAD_REQUEST,
                "BadRequest",
                "metric must be ActualCost or AmortizedCost",
            );
        }
    };
    let Some((y, m)) = body
        .billing_period
        .as_deref()
        .filter(|p| p.len() == 6)
        .and_then(|p| Some((p[..4].parse::<i32>().ok()?, p[4..].parse::<u32>().ok()?)))
        .filter(|(_, m)| (1..=12).contains(m))
    else {
        return error(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "billingPeriod must be yyyyMM",
        );
    };
    let spec = st.cfg.month(&enrollment, y, m, ApiVersion::V2);
    let id = {
        let mut n = cd.next_id.lock().expect("lock");
        *n += 1;
        *n
    };
    cd.reports.lock().expect("lock").insert(
        id,
        Report {
            spec,
            metric,
            polls_left: st.cfg.cost_details.polls,
        },
    );
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    let location = format!(
        "http://{host}/providers/Microsoft.CostManagement/costDetailsOperationResults/{id}?api-version={}",
        crate::source::cost_details::API_VERSION
    );
    (
        StatusCode::ACCEPTED,
        [
            (header::LOCATION, location),
            (header::RETRY_AFTER, "1".to_string()),
        ],
    )
        .into_response()
}

/// `GET /providers/Microsoft.CostManagement/costDetailsOperationResults/{id}`.
pub(super) async fn operation(
    State(st): State<Arc<super::server::SimState>>,
    Path(id): Path<u64>,
    headers: HeaderMap,
) -> Response {
    if !super::server::authorized(&headers, &st.cfg.api_key) {
        return error(
            StatusCode::UNAUTHORIZED,
            "InvalidAuthenticationToken",
            "The access token is invalid.",
        );
    }
    let cd = &st.cost_details;
    let mut reports = cd.reports.lock().expect("lock");
    let Some(report) = reports.get_mut(&id) else {
        return error(StatusCode::NOT_FOUND, "NotFound", "No such operation.");
    };
    if report.polls_left > 0 {
        report.polls_left -= 1;
        return (StatusCode::ACCEPTED, [(header::RETRY_AFTER, "1")]).into_response();
    }
    let cfg = &st.cfg.cost_details;
    if let Some(status) = &cfg.final_status {
        return Json(serde_json::json!({
            "id": id.to_string(), "status": status,
            "error": {"code": "ReportGenerationFailed", "message": format!("The report could not be generated ({status}).")}
        }))
        .into_response();
    }
    if report.spec.rows == 0 {
        return Json(serde_json::json!({"id": id.to_string(), "status": "NoDataFound"}))
            .into_response();
    }
    let n = u64::from(cfg.blobs.max(1));
    let blobs: Vec<serde_json::Value> = (0..n)
        .map(|k| {
            serde_json::json!({
                "blobLink": format!("http://{}/reports/{id}/part-{k}.csv{}?sv=2023-11-03&se=2030-01-01&sig=SIMSAS{id}x{k}SECRET",
                    st.blob_addr, if cfg.gzip { ".gz" } else { "" }),
                "byteCount": 0
            })
        })
        .collect();
    let metric = match report.metric {
        SimMetric::Actual => "ActualCost",
        SimMetric::Amortized => "AmortizedCost",
    };
    Json(serde_json::json!({
        "id": id.to_string(), "name": id.to_string(), "status": "Completed",
        "manifest": {
            "manifestVersion": "2022-10-01", "dataFormat": "Csv", "blobCount": n, "compressData": cfg.gzip,
            "requestContext": {"requestBody": {"metric": metric,
                "billingPeriod": format!("{:04}{:02}", report.spec.year, report.spec.month)}},
            "blobs": blobs
        },
        "validTill": "2030-01-01T00:00:00Z"
    }))
    .into_response()
}

/// `GET /reports/{id}/{part}` on the blob listener.
pub(super) async fn blob(
    State(st): State<Arc<super::server::SimState>>,
    Path((id, part)): Path<(u64, String)>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let cd = &st.cost_details;
    cd.blob_requests.lock().expect("lock").push(BlobRequest {
        path: format!("/reports/{id}/{part}"),
        authorization: headers.contains_key(header::AUTHORIZATION),
    });
    if headers.contains_key(header::AUTHORIZATION) {
        return error(
            StatusCode::BAD_REQUEST,
            "InvalidAuthenticationInfo",
            "Authorization header sent to blob storage: a SAS link takes no token",
        );
    }
    let want_sig = format!("SIMSAS{id}x");
    if !q.get("sig").is_some_and(|s| s.starts_with(&want_sig)) {
        return error(
            StatusCode::FORBIDDEN,
            "AuthenticationFailed",
            "Signature did not match.",
        );
    }
    let gzip = part.ends_with(".gz");
    let Some(k) = part
        .strip_prefix("part-")
        .and_then(|p| p.split('.').next())
        .and_then(|k| k.parse::<u64>().ok())
    else {
        return error(StatusCode::NOT_FOUND, "BlobNotFound", "No such blob.");
    };
    let (spec, metric) = match cd.reports.lock().expect("lock").get(&id) {
        Some(r) => (r.spec.clone(), r.metric),
        None => return error(StatusCode::NOT_FOUND, "BlobNotFound", "No such blob."),
    };
    let n = u64::from(st.cfg.cost_details.blobs.max(1));
    let (from, to) = (spec.rows * k / n, spec.rows * (k + 1) / n);
    let mut body = cost_csv::blob(
        &spec,
        from,
        to,
        metric,
        st.cfg.cost_details.generation,
        k == 0,
    );
    if gzip {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&body).expect("in memory");
        body = gz.finish().expect("in memory");
    }
    (StatusCode::OK, [(header::CONTENT_TYPE, "text/csv")], body).into_response()
}
