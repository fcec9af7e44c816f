//! The write path: batches in, one staged Parquet object out. `writer` drives it, `encode`
//! encodes columns on the shared `pool`, `upload` streams the bytes to a staging name.

pub(crate) mod encode;
pub(crate) mod pool;
pub(crate) mod upload;
pub(crate) mod writer;
