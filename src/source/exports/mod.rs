//! Cost Management exports (issue 20), in progress: the pure core. A run's manifest read
//! tolerantly (`manifest`), the run each month is archived from (`select`), and, from a listing
//! of the root, the manifests to read, where each blob is and whether a run is complete
//! (`discover`); the root opened through `object_store`, listed once and its manifests read, an
//! unreadable one reported by name (`root`). Still to come: planning months from the picks,
//! reading the parts (CSV, gzip CSV, Parquet) into pages, the flags and the footer's export
//! facts; until then nothing outside the tests calls this module.
#![cfg_attr(not(test), allow(dead_code))]

pub(crate) mod discover;
pub(crate) mod manifest;
pub(crate) mod root;
pub(crate) mod select;
