//! The lake's bookkeeping: where objects live (`store`, `layout`), who may write a month
//! (`lease`), what makes a staged object current (`commit` decides, `publish` carries it out),
//! the versions it replaced (`history`), the lake's metric (`metric`), raw pages (`raw`), what
//! dead runs left behind (`staging`), and reading an object's footer (`read`) and its facts and
//! rows (`object`, the one reader every command uses).

pub(crate) mod commit;
pub(crate) mod history;
pub(crate) mod layout;
pub(crate) mod lease;
pub(crate) mod metric;
pub(crate) mod object;
pub(crate) mod publish;
pub(crate) mod raw;
pub(crate) mod read;
pub(crate) mod staging;
pub(crate) mod store;
