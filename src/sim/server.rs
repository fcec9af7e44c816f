//! The simulator's HTTP server (axum on tokio).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{Datelike, NaiveDate, Utc};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use super::cost_details::{self, BlobRequest, CostDetailsConfig, CostDetailsState};
use super::data::{MonthSpec, days_in_month, default_rows, row_day};
use super::faults::Fault;
use super::pages;
use crate::source::ApiVersion;

/// The EA API's own throttling header (seconds), as its documentation names it. Written out
/// here rather than taken from the client, so the simulator does not share the client's
/// reading of the API.
const EA_RETRY_AFTER: &str = "x-ms-ratelimit-microsoft.consumption-retry-after";

/// Simulator settings.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// The only key accepted.
    pub api_key: String,
    /// Rows per month; `None` uses [`default_rows`].
    pub rows_per_month: Option<u64>,
    /// Rows per page.
    pub page_size: u64,
    /// Faults to inject.
    pub faults: Vec<Fault>,
    /// Restatement revision of every month (0: as first published).
    pub revision: u32,
    /// The month the current-period endpoint serves (default: today's UTC month).
    pub current_period: Option<(i32, u32)>,
    /// What the `ETag` describes.
    pub etag: EtagMode,
    /// The Cost Details API.
    pub cost_details: CostDetailsConfig,
}

/// What the simulator's `ETag` describes. The real API's is undocumented: a refresh marker
/// of the whole period's data, or a hash of one response, are both plausible.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EtagMode {
    /// The whole month's data, on every page (a refresh marker).
    #[default]
    Month,
    /// The data of the page it comes with.
    Page,
}

impl SimConfig {
    /// A simulator accepting `api_key`, default sizes, no faults.
    pub fn new(api_key: &str) -> Self {
        Self {
            api_key: api_key.to_string(),
            rows_per_month: None,
            page_size: 1000,
            faults: Vec::new(),
            revision: 0,
            current_period: None,
            etag: EtagMode::Month,
            cost_details: CostDetailsConfig::default(),
        }
    }

    /// The month as this simulator serves it.
    pub fn month(&self, enrollment: &str, year: i32, month: u32, version: ApiVersion) -> MonthSpec {
        MonthSpec {
            enrollment: enrollment.to_string(),
            year,
            month,
            version,
            rows: self
                .rows_per_month
                .unwrap_or_else(|| default_rows(enrollment, year, month)),
            revision: self.revision,
        }
    }
}

pub(super) struct SimState {
    pub(super) cfg: SimConfig,
    /// How often each fault has fired, by index.
    fired: Mutex<HashMap<usize, u32>>,
    /// The Cost Details reports asked for.
    pub(super) cost_details: CostDetailsState,
    /// The "blob storage" listener's address.
    pub(super) blob_addr: SocketAddr,
    /// Per EA page served: whether it was gzipped, and its bytes on the wire.
    pub(super) page_bytes: Arc<Mutex<Vec<(bool, u64)>>>,
}

/// A running simulator.
pub struct SimHandle {
    /// The bound address (the EA API and the Cost Management API).
    pub addr: SocketAddr,
    /// The address of its blob storage (Cost Details report blobs).
    pub blob_addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    join: tokio::task::JoinHandle<()>,
    blob_requests: Arc<Mutex<Vec<BlobRequest>>>,
    page_bytes: Arc<Mutex<Vec<(bool, u64)>>>,
}

impl SimHandle {
    /// `http://<addr>`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every blob request so far, in order.
    pub fn blob_requests(&self) -> Vec<BlobRequest> {
        self.blob_requests.lock().expect("lock").clone()
    }

    /// Per EA page served so far: whether it was gzipped, and its bytes on the wire.
    pub fn page_bytes(&self) -> Vec<(bool, u64)> {
        self.page_bytes.lock().expect("lock").clone()
    }

    /// Stops the server and waits for it.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let _ = (&mut self.join).await;
    }

    /// Waits until the server ends (it runs until stopped).
    pub async fn wait(self) {
        let _ = self.join.await;
    }
}

/// Binds `addr` (port 0 picks a free port) and serves until stopped.
pub async fn start(addr: SocketAddr, cfg: SimConfig) -> std::io::Result<SimHandle> {
    let listener = TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let blob_listener = TcpListener::bind(SocketAddr::new(addr.ip(), 0)).await?;
    let blob_addr = blob_listener.local_addr()?;
    let state = Arc::new(SimState {
        cfg,
        fired: Mutex::new(HashMap::new()),
        cost_details: CostDetailsState::default(),
        blob_addr,
        page_bytes: Arc::default(),
    });
    let page_bytes = state.page_bytes.clone();
    let blob_requests = state.cost_details.blob_requests.clone();
    let blobs = Router::new()
        .route("/reports/{id}/{part}", get(cost_details::blob))
        .with_state(state.clone());
    let app = Router::new()
        .route(
            "/{version}/enrollments/{enrollment}/billingPeriods/{period}/usagedetails",
            get(billing_period),
        )
        .route(
            "/{version}/enrollments/{enrollment}/billingperiods/{period}/usagedetails",
            get(billing_period),
        )
        .route("/v2/enrollments/{enrollment}/usagedetails", get(current))
        .route(
            "/v2/enrollments/{enrollment}/usagedetailsbycustomdate",
            get(custom_range),
        )
        .route(
            "/providers/Microsoft.Billing/billingAccounts/{enrollment}/providers/Microsoft.CostManagement/generateCostDetailsReport",
            post(cost_details::generate),
        )
        .route(
            "/providers/Microsoft.CostManagement/costDetailsOperationResults/{id}",
            get(cost_details::operation),
        )
        .with_state(state);
    let (tx, rx) = oneshot::channel::<()>();
    let join = tokio::spawn(async move {
        let (btx, brx) = oneshot::channel::<()>();
        let blob_server = tokio::spawn(async move {
            let _ = axum::serve(blob_listener, blobs)
                .with_graceful_shutdown(async {
                    let _ = brx.await;
                })
                .await;
        });
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = rx.await;
            })
            .await;
        let _ = btx.send(());
        let _ = blob_server.await;
    });
    Ok(SimHandle {
        addr,
        blob_addr,
        shutdown: Some(tx),
        join,
        blob_requests,
        page_bytes,
    })
}

/// The months of a response and the row range of each, in order.
pub(super) type Segments = Vec<(MonthSpec, u64, u64)>;

async fn billing_period(
    State(st): State<Arc<SimState>>,
    Path((version, enrollment, period)): Path<(String, String, String)>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let version = match version.as_str() {
        "v1" => ApiVersion::V1,
        "v2" => ApiVersion::V2,
        _ => return error(StatusCode::NOT_FOUND, "Unknown API version"),
    };
    let (Some(y), Some(m)) = (
        period.get(..4).and_then(|s| s.parse::<i32>().ok()),
        period.get(4..).and_then(|s| s.parse::<u32>().ok()),
    ) else {
        return error(StatusCode::BAD_REQUEST, "Invalid billing period");
    };
    if period.len() != 6 || !(1..=12).contains(&m) {
        return error(StatusCode::BAD_REQUEST, "Invalid billing period");
    }
    let spec = st.cfg.month(&enrollment, y, m, version);
    let n = spec.rows;
    serve(&st, &headers, &uri, &q, version, vec![(spec, 0, n)]).await
}

async fn current(
    State(st): State<Arc<SimState>>,
    Path(enrollment): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let today = Utc::now().date_naive();
    let (year, month) = st
        .cfg
        .current_period
        .unwrap_or((today.year(), today.month()));
    let spec = st.cfg.month(&enrollment, year, month, ApiVersion::V2);
    let n = spec.rows;
    serve(&st, &headers, &uri, &q, ApiVersion::V2, vec![(spec, 0, n)]).await
}

async fn custom_range(
    State(st): State<Arc<SimState>>,
    Path(enrollment): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let day = |k: &str| {
        q.get(k)
            .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
    };
    let (Some(start), Some(end)) = (day("startTime"), day("endTime")) else {
        return error(
            StatusCode::BAD_REQUEST,
            "startTime and endTime must be yyyy-MM-dd",
        );
    };
    if start > end {
        return error(StatusCode::BAD_REQUEST, "startTime is after endTime");
    }
    let months = (end.year() - start.year()) * 12 + end.month() as i32 - start.month() as i32 + 1;
    if months > 36 {
        return error(StatusCode::BAD_REQUEST, "The date range exceeds 36 months");
    }
    let mut segments: Segments = Vec::new();
    let (mut y, mut m) = (start.year(), start.month());
    for _ in 0..months {
        let spec = st.cfg.month(&enrollment, y, m, ApiVersion::V2);
        let first = if (y, m) == (start.year(), start.month()) {
            start.day()
        } else {
            1
        };
        let last = if (y, m) == (end.year(), end.month()) {
            end.day()
        } else {
            days_in_month(y, m)
        };
        let lo = (0..spec.rows)
            .find(|&i| row_day(&spec, i) >= first)
            .unwrap_or(spec.rows);
        let hi = (lo..spec.rows)
            .find(|&i| row_day(&spec, i) > last)
            .unwrap_or(spec.rows);
        segments.push((spec, lo, hi));
        (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    }
    serve(&st, &headers, &uri, &q, ApiVersion::V2, segments).await
}

fn error(status: StatusCode, message: &str) -> Response {
    let body =
        serde_json::json!({"error": {"code": status.as_u16().to_string(), "message": message}});
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

pub(super) fn authorized(headers: &HeaderMap, key: &str) -> bool {
    let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    match value.split_once(' ') {
        Some((scheme, token)) => scheme.eq_ignore_ascii_case("bearer") && token.trim() == key,
        None => false,
    }
}

async fn serve(
    st: &SimState,
    headers: &HeaderMap,
    uri: &Uri,
    q: &HashMap<String, String>,
    version: ApiVersion,
    segments: Segments,
) -> Response {
    if !authorized(headers, &st.cfg.api_key) {
        return error(
            StatusCode::UNAUTHORIZED,
            "Unauthorized: the API key is invalid or expired",
        );
    }
    let page: u64 = q
        .get("skiptoken")
        .and_then(|s| s.parse().ok())
        .unwrap_or(1)
        .max(1);
    let (year, month) = segments
        .first()
        .map_or((0, 0), |(spec, _, _)| (spec.year, spec.month));
    let faults = &super::faults::in_force(&st.cfg.faults, year, month);
    pages::delay(faults, page).await;
    if let Some(resp) = injected_status(st, page, year, month) {
        return resp;
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    let request = pages::PageRequest {
        segments: &segments,
        page,
        page_size: st.cfg.page_size.max(1),
        version,
        faults,
        host,
        path: uri.path(),
        query: q,
    };
    let rendered = pages::render(&request);
    let etag = match st.cfg.etag {
        EtagMode::Month => pages::month_etag(&segments, faults),
        EtagMode::Page => pages::page_etag(&rendered.data),
    };
    let if_none_match = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok());
    if if_none_match == Some(etag.as_str()) {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response();
    }
    let body = pages::finish(&request, rendered);
    // Compressed when the client asks for it, as the API's front end does.
    let gzip = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|e| e.trim().starts_with("gzip")));
    let body: Vec<u8> = if gzip {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(body.as_bytes()).expect("in memory");
        gz.finish().expect("in memory")
    } else {
        body.into_bytes()
    };
    st.page_bytes
        .lock()
        .expect("lock")
        .push((gzip, body.len() as u64));
    let mut resp = (
        StatusCode::OK,
        [
            (
                header::CONTENT_TYPE,
                "application/json; charset=utf-8".to_string(),
            ),
            (header::ETAG, etag),
        ],
        body,
    )
        .into_response();
    if gzip {
        resp.headers_mut()
            .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    resp
}

/// The response of a `status=` fault for `page`, when one fires.
fn injected_status(st: &SimState, page: u64, year: i32, month: u32) -> Option<Response> {
    for (idx, f) in st.cfg.faults.iter().enumerate() {
        let f = match f {
            Fault::InMonth {
                year: y,
                month: m,
                fault,
            } if (*y, *m) == (year, month) => fault.as_ref(),
            Fault::InMonth { .. } => continue,
            f => f,
        };
        let Fault::Status {
            code,
            page: p,
            times,
            standard_header,
        } = f
        else {
            continue;
        };
        if *p != page {
            continue;
        }
        let fire = {
            let mut fired = st.fired.lock().expect("lock");
            let n = fired.entry(idx).or_insert(0);
            let fire = times.is_none_or(|t| *n < t);
            if fire {
                *n += 1;
            }
            fire
        };
        if !fire {
            continue;
        }
        let status = StatusCode::from_u16(*code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut resp = error(status, "injected fault");
        let h = resp.headers_mut();
        if *code == 429 && !standard_header {
            h.insert(EA_RETRY_AFTER, HeaderValue::from_static("1"));
        } else if *code == 429 || *code == 503 {
            h.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        return Some(resp);
    }
    None
}
