//! A deterministic EA Reporting API simulator: both versions, the three usage-details
//! endpoints, 1,000-row pages with absolute `nextLink`s, the bearer check, and injectable
//! faults. Used by `simulate`, `demo` and the tests.

pub mod cost_csv;
mod cost_details;
pub mod data;
mod export_parts;
pub mod exports;
pub mod faults;
mod pages;
mod server;

pub use cost_details::{BlobRequest, CostDetailsConfig};
pub use faults::Fault;
pub use server::{EtagMode, SimConfig, SimHandle, start};

/// The key the simulator accepts when none is configured. Not a secret.
pub const DEMO_KEY: &str = "demo-key-not-secret";
