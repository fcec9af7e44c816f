//! JSON reading shared by the source (paging, replay checks) and the decoder: one validating
//! scanner and one reader of the page envelope, so every stage reads `nextLink` and `data` the
//! same way. Pure: text in, values out.

pub(crate) mod envelope;
pub(crate) mod escape;
pub(crate) mod scan;
