//! Documents built from the store: deployments, chunks, artifacts with their
//! links, action history.

use std::time::SystemTime;

use super::action::Action;
use super::catalog::{Artifact, ModuleId};
use super::config::LinkOrigin;
use super::documents::{ActionHistory, ArtifactDoc, Chunk, Deployment, Hashes, Links, Metadata};
use super::route::encode;
use super::store::{Origins, Store};

impl Store {
    pub(crate) fn base_href(origins: &Origins, tenant: &str, controller: &str) -> String {
        format!(
            "{}/{}/controller/v1/{}",
            origins.server,
            encode(tenant),
            encode(controller)
        )
    }

    pub(crate) fn deployment(&self, origins: &Origins, a: &Action, now: SystemTime) -> Deployment {
        let chunks = self
            .distribution(a.distribution)
            .map(|d| {
                d.modules
                    .iter()
                    .filter_map(|m| self.module(*m))
                    .map(|m| Chunk {
                        part: m.part.clone(),
                        version: m.version.clone(),
                        name: m.name.clone(),
                        encrypted: m.encrypted.then_some(true),
                        artifacts: m
                            .artifacts
                            .iter()
                            .map(|art| {
                                self.artifact_doc(origins, &a.tenant, &a.controller, m.id, art)
                            })
                            .collect(),
                        metadata: (!m.metadata.is_empty()).then(|| {
                            m.metadata
                                .iter()
                                .map(|(k, v)| Metadata {
                                    key: k.clone(),
                                    value: v.clone(),
                                })
                                .collect()
                        }),
                    })
                    .collect()
            })
            .unwrap_or_default();
        Deployment {
            download: a.download_type(now),
            update: a.update_type(now),
            maintenance_window: a.maintenance_status(now),
            chunks,
        }
    }

    pub(crate) fn artifact_href(
        &self,
        origins: &Origins,
        origin: LinkOrigin,
        tenant: &str,
        controller: &str,
        module: ModuleId,
        filename: &str,
    ) -> String {
        match origin {
            LinkOrigin::Server => format!(
                "{}/softwaremodules/{module}/artifacts/{}",
                Self::base_href(origins, tenant, controller),
                encode(filename)
            ),
            LinkOrigin::Cdn => format!(
                "{}/cdn/{}/{module}/{}",
                origins.cdn,
                encode(tenant),
                encode(filename)
            ),
        }
    }

    pub(crate) fn artifact_doc(
        &self,
        origins: &Origins,
        tenant: &str,
        controller: &str,
        module: ModuleId,
        art: &Artifact,
    ) -> ArtifactDoc {
        let href = self.artifact_href(
            origins,
            self.links.origin,
            tenant,
            controller,
            module,
            &art.filename,
        );
        let mut links = Links::default();
        for (download, md5) in &self.links.rels {
            links.add(download.clone(), href.clone());
            links.add(md5.clone(), format!("{href}.MD5SUM"));
        }
        ArtifactDoc {
            filename: art.filename.clone(),
            hashes: Hashes {
                sha1: art.announced.sha1.clone(),
                md5: art.announced.md5.clone(),
                sha256: art.announce_sha256.then(|| art.announced.sha256.clone()),
            },
            size: art.size(),
            links,
        }
    }

    pub(crate) fn history(a: &Action, requested: i64) -> Option<ActionHistory> {
        let messages = a.history_messages(requested);
        (!messages.is_empty()).then(|| ActionHistory {
            status: a.status.as_str(),
            messages,
        })
    }
}
