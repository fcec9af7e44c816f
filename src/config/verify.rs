//! `verify`'s checked configuration.

use super::dest::{Dest, check_dest};
use super::{ConfigError, parse_enrollment, parse_month};
use crate::cli::{OutputFormat, VerifyArgs};

/// A checked `verify`.
#[derive(Debug, Clone)]
pub(crate) struct VerifyConfig {
    /// The lake.
    pub dest: Dest,
    /// Only this enrollment.
    pub enrollment: Option<String>,
    /// Only this month.
    pub month: Option<(i32, u32)>,
    /// Report format.
    pub format: OutputFormat,
}

impl VerifyConfig {
    /// Checks `verify`'s flags.
    pub(crate) fn from_args(a: &VerifyArgs) -> Result<Self, ConfigError> {
        Ok(Self {
            dest: check_dest(&a.dest)?,
            enrollment: a.enrollment.as_deref().map(parse_enrollment).transpose()?,
            month: a.month.as_deref().map(parse_month).transpose()?,
            format: a.format,
        })
    }
}
