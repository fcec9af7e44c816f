//! The three usage-details endpoints and how their URLs are built. Pure.

use chrono::NaiveDate;
use url::Url;

/// API version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ApiVersion {
    /// `/v1/…` (preview): `reportId`, `cost` and `extendedCost`.
    V1,
    /// `/v2/…` (default).
    V2,
}

impl ApiVersion {
    /// `v1` or `v2`.
    pub fn as_str(self) -> &'static str {
        match self {
            ApiVersion::V1 => "v1",
            ApiVersion::V2 => "v2",
        }
    }
}

/// Which usage-details endpoint to call for one partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Endpoint {
    /// `/v{1,2}/enrollments/{e}/billingPeriods/{yyyyMM}/usagedetails`.
    BillingPeriod {
        /// Version.
        version: ApiVersion,
        /// Year.
        year: i32,
        /// Month 1–12.
        month: u32,
    },
    /// `/v2/enrollments/{e}/usagedetails`: the current billing period.
    Current,
    /// `/v2/enrollments/{e}/usagedetailsbycustomdate?startTime=…&endTime=…`.
    CustomRange {
        /// First day, inclusive.
        start: NaiveDate,
        /// Last day, inclusive.
        end: NaiveDate,
    },
}

impl Endpoint {
    /// The first page's URL under `base` (whose own path, if any, is kept as a prefix).
    pub(crate) fn url(&self, base: &Url, enrollment: &str) -> Url {
        let route = match self {
            Endpoint::BillingPeriod {
                version,
                year,
                month,
            } => format!(
                "{}/enrollments/{enrollment}/billingPeriods/{year:04}{month:02}/usagedetails",
                version.as_str()
            ),
            Endpoint::Current => format!("v2/enrollments/{enrollment}/usagedetails"),
            Endpoint::CustomRange { start, end } => format!(
                "v2/enrollments/{enrollment}/usagedetailsbycustomdate?startTime={}&endTime={}",
                start.format("%Y-%m-%d"),
                end.format("%Y-%m-%d")
            ),
        };
        let mut prefix = base.clone();
        if !prefix.path().ends_with('/') {
            let p = format!("{}/", prefix.path());
            prefix.set_path(&p);
        }
        prefix.set_query(None);
        prefix.join(&route).expect("route is a valid relative URL")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_each_endpoint() {
        let base = Url::parse("https://consumption.azure.com").unwrap();
        let bp = Endpoint::BillingPeriod {
            version: ApiVersion::V1,
            year: 2017,
            month: 4,
        };
        assert_eq!(
            bp.url(&base, "100").as_str(),
            "https://consumption.azure.com/v1/enrollments/100/billingPeriods/201704/usagedetails"
        );
        assert_eq!(
            Endpoint::Current.url(&base, "100").as_str(),
            "https://consumption.azure.com/v2/enrollments/100/usagedetails"
        );
        let cr = Endpoint::CustomRange {
            start: NaiveDate::from_ymd_opt(2024, 1, 1).unwrap(),
            end: NaiveDate::from_ymd_opt(2024, 1, 31).unwrap(),
        };
        assert_eq!(
            cr.url(&base, "100").as_str(),
            "https://consumption.azure.com/v2/enrollments/100/usagedetailsbycustomdate?startTime=2024-01-01&endTime=2024-01-31"
        );
    }

    #[test]
    fn keeps_a_base_path_prefix() {
        let base = Url::parse("http://127.0.0.1:8080/proxy").unwrap();
        assert_eq!(
            Endpoint::Current.url(&base, "1").as_str(),
            "http://127.0.0.1:8080/proxy/v2/enrollments/1/usagedetails"
        );
    }
}
