//! The exports root (`--exports-root`): listed once, its manifests read and parsed. A manifest
//! that cannot be read or parsed is reported by name and never stops the others.

use bytes::Bytes;
use futures::TryStreamExt;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};

use super::discover::Listing;
use super::manifest;
use super::select::Found;
use crate::location::{Dest, Opened};
use crate::source::SourceError;

/// The root, opened.
pub(crate) struct Root(Opened);

impl Root {
    /// Opens `root` (which must exist when local) with credentials from the environment.
    pub(crate) fn open(root: &Dest) -> Result<Self, SourceError> {
        crate::location::open(root, false)
            .map(Root)
            .map_err(|reason| SourceError::Root {
                object: root.shown(),
                source: crate::text::RedactedError::of(&crate::text::Message(reason)),
            })
    }

    /// The root as opened.
    pub(crate) fn opened(&self) -> &Opened {
        &self.0
    }

    /// The root's URL for messages (no credentials).
    pub(crate) fn url(&self) -> &url::Url {
        &self.0.url
    }

    fn error(&self, object: &str, e: &(dyn std::error::Error + 'static)) -> SourceError {
        SourceError::Root {
            object: format!("{}/{object}", self.0.url.as_str().trim_end_matches('/')),
            source: crate::text::RedactedError::of(e),
        }
    }

    fn path(&self, rel: &str) -> Path {
        Path::from_iter(self.0.prefix.parts().chain(Path::from(rel).parts()))
    }

    /// Every object under the root, by path relative to it, with its size.
    pub(crate) async fn list(&self) -> Result<Listing, SourceError> {
        let objects: Vec<object_store::ObjectMeta> = self
            .0
            .store
            .list(Some(&self.0.prefix))
            .try_collect()
            .await
            .map_err(|e| self.error("", &e))?;
        let mut etags = Vec::new();
        let mut listing: Listing = objects
            .into_iter()
            .filter_map(|m| {
                let rel: Vec<String> = m
                    .location
                    .prefix_match(&self.0.prefix)?
                    .map(|p| p.as_ref().to_string())
                    .collect();
                let rel = rel.join("/");
                if let Some(etag) = m.e_tag {
                    etags.push((rel.clone(), etag));
                }
                Some((rel, m.size))
            })
            .collect();
        for (path, etag) in etags {
            listing.set_etag(path, etag);
        }
        Ok(listing)
    }

    /// One object's bytes (a manifest: small).
    pub(crate) async fn read(&self, rel: &str) -> Result<Bytes, SourceError> {
        let got = self
            .0
            .store
            .get(&self.path(rel))
            .await
            .map_err(|e| self.error(rel, &e))?;
        got.bytes().await.map_err(|e| self.error(rel, &e))
    }

    /// Every manifest of `listing`, read and parsed: the runs, and the manifests that could not
    /// be parsed, each with why. A manifest the store fails to hand over is an `Err` for the whole
    /// run (exit 5, retried): choosing among the other runs could pick an older one.
    pub(crate) async fn runs(
        &self,
        listing: &Listing,
    ) -> Result<(Vec<Found>, Vec<(String, String)>), SourceError> {
        let mut runs = Vec::new();
        let mut unreadable = Vec::new();
        for name in listing.manifests() {
            match manifest::parse(&self.read(name).await?) {
                Ok(run) => runs.push(Found {
                    manifest: name.to_string(),
                    run,
                }),
                Err(why) => unreadable.push((name.to_string(), why)),
            }
        }
        Ok((runs, unreadable))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_local_root_is_listed_and_its_manifests_read_or_reported() {
        let dir = tempfile::tempdir().unwrap();
        let run = dir.path().join("daily/20250301-20250331/r1");
        std::fs::create_dir_all(&run).unwrap();
        let manifest = r#"{"exportConfig":{"exportName":"daily","resourceId":"/providers/Microsoft.Billing/billingAccounts/7/providers/Microsoft.CostManagement/exports/daily","type":"ActualCost"},
            "runInfo":{"submittedTime":"2025-03-05T02:00:00Z","runId":"r1","startDate":"2025-03-01T00:00:00","endDate":"2025-03-31T00:00:00Z"},
            "blobCount":1,"dataRowCount":null,
            "blobs":[{"blobName":"exports/daily/20250301-20250331/r1/part_0_0001.csv","byteCount":5}]}"#;
        std::fs::write(run.join("manifest.json"), manifest).unwrap();
        std::fs::write(run.join("part_0_0001.csv"), "a,b\n\n").unwrap();
        let broken = dir.path().join("daily/20250201-20250228/r0");
        std::fs::create_dir_all(&broken).unwrap();
        std::fs::write(broken.join("_manifest.json"), "{not json").unwrap();
        let root = Root::open(&Dest::Local(dir.path().to_path_buf())).unwrap();
        assert_eq!(root.url().scheme(), "file");
        let listing = root.list().await.unwrap();
        let (runs, unreadable) = root.runs(&listing).await.unwrap();
        assert_eq!(runs.len(), 1);
        assert_eq!(runs[0].manifest, "daily/20250301-20250331/r1/manifest.json");
        assert_eq!(runs[0].run.run_id, "r1");
        assert_eq!(unreadable.len(), 1);
        assert_eq!(unreadable[0].0, "daily/20250201-20250228/r0/_manifest.json");
        assert!(
            unreadable[0].1.starts_with("not an export manifest"),
            "{unreadable:?}"
        );
        // The root is a folder of the container: the blob is found by the tail of its name.
        let parts = listing.complete(&runs[0].run).unwrap();
        assert_eq!(parts[0].path, "daily/20250301-20250331/r1/part_0_0001.csv");
        assert_eq!(&root.read(&parts[0].path).await.unwrap()[..], b"a,b\n\n");
        let missing = Root::open(&Dest::Local(dir.path().join("nope")))
            .err()
            .unwrap();
        assert!(missing.to_string().contains("nope"), "{missing}");
    }
}
