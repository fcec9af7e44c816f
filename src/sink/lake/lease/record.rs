//! What one lease term holds, and the host facts it records.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

/// What one lease term says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct LeaseRecord {
    /// The run holding (or releasing) the month.
    pub run_id: String,
    /// Host name of the run.
    pub host: String,
    /// Process id of the run.
    pub pid: u32,
    /// When the run took the lease (RFC 3339, UTC).
    pub started_at: String,
    /// Until when the term holds unless renewed (RFC 3339, UTC).
    pub expires_at: String,
    /// The holder let the month go.
    #[serde(default)]
    pub released: bool,
}

impl LeaseRecord {
    /// Whether the term still keeps other runs out at `now`.
    pub(crate) fn is_live(&self, now: DateTime<Utc>) -> bool {
        !self.released
            && DateTime::parse_from_rfc3339(&self.expires_at)
                .map(|t| t.with_timezone(&Utc) > now)
                .unwrap_or(false)
    }
}

/// This machine's host name, for lease records and messages.
pub(super) fn host_name() -> String {
    #[cfg(unix)]
    {
        let mut buf = [0u8; 256];
        // SAFETY: the buffer is valid for its length; gethostname writes at most that much.
        let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
        if rc == 0 {
            let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
            if let Ok(name) = std::str::from_utf8(&buf[..end])
                && !name.is_empty()
            {
                return name.to_string();
            }
        }
    }
    std::env::var("HOSTNAME").unwrap_or_else(|_| "unknown-host".into())
}

pub(super) fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn records_expire_and_released_ones_are_not_live() {
        let now = Utc::now();
        let mut r = LeaseRecord {
            run_id: "r".into(),
            host: "h".into(),
            pid: 1,
            started_at: rfc3339(now),
            expires_at: rfc3339(now + Duration::from_secs(10)),
            released: false,
        };
        assert!(r.is_live(now));
        assert!(!r.is_live(now + Duration::from_secs(11)));
        r.released = true;
        assert!(!r.is_live(now));
        r.released = false;
        r.expires_at = "garbage".into();
        assert!(!r.is_live(now));
    }
}
