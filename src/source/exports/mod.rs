//! Cost Management exports: runs that land in the customer's storage. A run's manifest read
//! tolerantly (`manifest`); the run each month is archived from (`select`); from a listing of
//! the root, the manifests to read, where each blob is and whether a run is complete
//! (`discover`); the root opened through `object_store`, listed once and its manifests read
//! (`root`); a run's parts read as pages (`parts`); and the source that ties them together
//! (`source`).

pub(crate) mod discover;
pub(crate) mod manifest;
pub(crate) mod parts;
pub(crate) mod root;
pub(crate) mod select;
pub(crate) mod source;
