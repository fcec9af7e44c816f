//! What a listing of the exports root holds: the manifests to read (by their exact names, never
//! by folder names), where each blob a manifest names is under the root, and whether a run is
//! complete there. Pure: a listing in, paths and verdicts out.
//!
//! `blobName`s are relative to the container, while the root may be the container, a folder in
//! it, or a local copy of either. A blob is found as the shortest tail of its name that the
//! listing holds: the whole name when the root is the container, the name less the root's own
//! folders otherwise.

use std::collections::BTreeMap;

use super::manifest::Run;

/// The objects under the root: path relative to the root → size in bytes.
#[derive(Debug, Clone, Default)]
pub(crate) struct Listing(BTreeMap<String, u64>, BTreeMap<String, String>);

impl FromIterator<(String, u64)> for Listing {
    fn from_iter<I: IntoIterator<Item = (String, u64)>>(iter: I) -> Self {
        Listing(iter.into_iter().collect(), BTreeMap::new())
    }
}

impl Listing {
    /// Records the `ETag` the store listed for `path`: each part is read on condition that it
    /// is still that object.
    pub(crate) fn set_etag(&mut self, path: String, etag: String) {
        self.1.insert(path, etag);
    }
}

/// One part of a run, found under the root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LocatedPart {
    /// Its path relative to the root.
    pub path: String,
    /// Its size.
    pub bytes: u64,
    /// Its rows as the manifest gives them; `None`: unknown.
    pub rows: Option<u64>,
    /// Its `ETag` as listed, when the store gives one.
    pub etag: Option<String>,
}

/// The names a run's manifest has.
const MANIFEST_NAMES: [&str; 2] = ["manifest.json", "_manifest.json"];

impl Listing {
    /// The manifests under the root, in path order.
    pub(crate) fn manifests(&self) -> Vec<&str> {
        self.0
            .keys()
            .filter(|p| {
                let name = p.rsplit('/').next().unwrap_or(p);
                MANIFEST_NAMES.contains(&name)
            })
            .map(String::as_str)
            .collect()
    }

    /// Where blob `name` (relative to the container) is under the root, and its size.
    pub(crate) fn locate(&self, name: &str) -> Option<(&str, u64)> {
        let name = name.trim_start_matches('/');
        let mut tail = name;
        loop {
            if let Some((path, size)) = self.0.get_key_value(tail) {
                return Some((path.as_str(), *size));
            }
            tail = tail.split_once('/')?.1;
        }
    }

    /// Every part of `run`, found and of the size its manifest states; `Err` names the first
    /// blob that is missing or of another size, with both figures.
    pub(crate) fn complete(&self, run: &Run) -> Result<Vec<LocatedPart>, String> {
        if let Some(n) = run.blob_count
            && n != run.parts.len() as u64
        {
            return Err(format!(
                "the manifest says blobCount {n} but lists {} blob(s)",
                run.parts.len()
            ));
        }
        let mut out: Vec<LocatedPart> = Vec::with_capacity(run.parts.len());
        for part in &run.parts {
            let Some((path, size)) = self.locate(&part.name) else {
                return Err(format!("blob {} is missing", part.name));
            };
            if out.iter().any(|p| p.path == path) {
                // Read twice, its rows would be archived twice.
                return Err(format!("the manifest lists blob {} twice", part.name));
            }
            if let Some(want) = part.bytes
                && want != size
            {
                return Err(format!(
                    "blob {} has {size} bytes, the manifest says {want}",
                    part.name
                ));
            }
            out.push(LocatedPart {
                path: path.to_string(),
                bytes: size,
                rows: part.rows,
                etag: self.1.get(path).cloned(),
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::cost_details::Metric;
    use crate::source::exports::manifest::Dataset;
    use crate::source::exports::manifest::{Part, PartFormat, Scope, parse_time};

    fn listing(paths: &[(&str, u64)]) -> Listing {
        paths.iter().map(|(p, n)| (p.to_string(), *n)).collect()
    }

    fn run(parts: &[(&str, Option<u64>)], blob_count: Option<u64>) -> Run {
        Run {
            export_name: "daily".into(),
            dataset: Dataset::Usage(Metric::Actual),
            scope: Scope::Enrollment("1".into()),
            month: Ok((2025, 3)),
            submitted: parse_time("2025-03-05T00:00:00Z").unwrap(),
            run_id: "r".into(),
            format: Some(PartFormat::Csv),
            parts: parts
                .iter()
                .map(|(n, b)| Part {
                    name: n.to_string(),
                    bytes: *b,
                    rows: None,
                })
                .collect(),
            rows: None,
            blob_count,
        }
    }

    #[test]
    fn manifests_are_found_by_their_exact_names_only() {
        let l = listing(&[
            ("a/run1/manifest.json", 1),
            ("b/run2/_manifest.json", 1),
            ("c/run3/manifest.json.bak", 1),
            ("c/run3/my_manifest.json", 1),
            ("manifest.json", 1),
        ]);
        assert_eq!(
            l.manifests(),
            vec![
                "a/run1/manifest.json",
                "b/run2/_manifest.json",
                "manifest.json"
            ]
        );
    }

    #[test]
    fn blobs_resolve_whether_the_root_is_the_container_or_a_folder_in_it() {
        let blob = "exports/daily/20250301-20250331/r/part_0_0001.csv";
        // The root is the container.
        let container = listing(&[(blob, 10)]);
        assert_eq!(container.locate(blob), Some((blob, 10)));
        // The root is the container's `exports/` folder (or a local copy of it).
        let folder = listing(&[("daily/20250301-20250331/r/part_0_0001.csv", 10)]);
        assert_eq!(
            folder.locate(blob),
            Some(("daily/20250301-20250331/r/part_0_0001.csv", 10))
        );
        assert_eq!(folder.locate("exports/daily/other/part.csv"), None);
    }

    #[test]
    fn a_run_is_complete_only_with_every_blob_at_its_size() {
        let l = listing(&[("x/p1.csv", 10), ("x/p2.csv", 20)]);
        let ok = l
            .complete(&run(&[("x/p1.csv", Some(10)), ("x/p2.csv", None)], Some(2)))
            .unwrap();
        assert_eq!(
            ok.iter()
                .map(|p| (p.path.as_str(), p.bytes))
                .collect::<Vec<_>>(),
            vec![("x/p1.csv", 10), ("x/p2.csv", 20)]
        );
        let short = l
            .complete(&run(
                &[("x/p1.csv", Some(10)), ("x/p2.csv", Some(25))],
                None,
            ))
            .unwrap_err();
        assert_eq!(short, "blob x/p2.csv has 20 bytes, the manifest says 25");
        let missing = l
            .complete(&run(&[("x/p1.csv", Some(10)), ("x/p3.csv", Some(5))], None))
            .unwrap_err();
        assert_eq!(missing, "blob x/p3.csv is missing");
        let twice = l
            .complete(&run(
                &[("x/p1.csv", Some(10)), ("x/p1.csv", Some(10))],
                None,
            ))
            .unwrap_err();
        assert_eq!(twice, "the manifest lists blob x/p1.csv twice");
        let count = l
            .complete(&run(&[("x/p1.csv", Some(10))], Some(2)))
            .unwrap_err();
        assert!(count.contains("blobCount 2"), "{count}");
    }
}
