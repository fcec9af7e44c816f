//! The Cost Management token when none is given (`AZURE_ACCESS_TOKEN`, `--access-token-file`):
//! the standard Azure credential chain through the official `azure_identity` crate (feature
//! `azure-identity`, on by default), tried in order and the first that applies used:
//!
//! 1. a service principal's client secret (`AZURE_TENANT_ID`, `AZURE_CLIENT_ID`,
//!    `AZURE_CLIENT_SECRET`);
//! 2. workload identity (`AZURE_FEDERATED_TOKEN_FILE`, as AKS injects it);
//! 3. managed identity (`IDENTITY_ENDPOINT` on App Service and Functions, or the VM's IMDS,
//!    tried with a short timeout);
//! 4. the Azure CLI (`az login`).
//!
//! The token is for `https://management.azure.com/.default` and never leaves this module except
//! as the source's `Authorization` header.

use super::Secret;
use super::SourceError;

/// The scope of every Cost Management token.
pub(crate) const SCOPE: &str = "https://management.azure.com/.default";

/// A token from the credential chain, or why none could be had.
#[cfg(feature = "azure-identity")]
pub(crate) async fn from_chain() -> Result<Secret, SourceError> {
    use azure_core::credentials::{Secret as AzureSecret, TokenCredential};
    use azure_identity::{
        AzureCliCredential, ClientSecretCredential, ManagedIdentityCredential,
        WorkloadIdentityCredential,
    };
    use std::sync::Arc;
    use std::time::Duration;

    crate::tls::install_crypto_provider();
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
    let mut tried: Vec<String> = Vec::new();
    let mut chain: Vec<(&str, Arc<dyn TokenCredential>, Duration)> = Vec::new();
    if let (Some(tenant), Some(client), Some(secret)) = (
        env("AZURE_TENANT_ID"),
        env("AZURE_CLIENT_ID"),
        env("AZURE_CLIENT_SECRET"),
    ) {
        match ClientSecretCredential::new(&tenant, client, AzureSecret::new(secret), None) {
            Ok(c) => chain.push((
                "client secret (AZURE_CLIENT_SECRET)",
                c,
                Duration::from_secs(60),
            )),
            Err(e) => tried.push(format!("client secret: {e}")),
        }
    }
    if env("AZURE_FEDERATED_TOKEN_FILE").is_some() {
        match WorkloadIdentityCredential::new(None) {
            Ok(c) => chain.push(("workload identity", c, Duration::from_secs(60))),
            Err(e) => tried.push(format!("workload identity: {e}")),
        }
    }
    // App Service and Functions announce their endpoint; elsewhere IMDS answers fast on Azure
    // and not at all off it, so it gets a short timeout.
    let mi_timeout = if env("IDENTITY_ENDPOINT").is_some() {
        Duration::from_secs(60)
    } else {
        Duration::from_secs(3)
    };
    match ManagedIdentityCredential::new(None) {
        Ok(c) => chain.push(("managed identity", c, mi_timeout)),
        Err(e) => tried.push(format!("managed identity: {e}")),
    }
    match AzureCliCredential::new(None) {
        Ok(c) => chain.push(("Azure CLI (az login)", c, Duration::from_secs(60))),
        Err(e) => tried.push(format!("Azure CLI: {e}")),
    }
    for (name, credential, timeout) in chain {
        match tokio::time::timeout(timeout, credential.get_token(&[SCOPE], None)).await {
            Ok(Ok(t)) => {
                tracing::info!(
                    credential = name,
                    "Cost Management token from the credential chain"
                );
                return Secret::new(t.token.secret()).ok_or_else(|| SourceError::Credential {
                    reason: format!("{name} returned an empty token"),
                });
            }
            Ok(Err(e)) => tried.push(format!(
                "{name}: {}",
                crate::text::redact_secrets(&e.to_string())
            )),
            Err(_) => tried.push(format!("{name}: no answer within {} s", timeout.as_secs())),
        }
    }
    Err(SourceError::Credential {
        reason: format!(
            "no credential of the Azure chain gave a token; set AZURE_ACCESS_TOKEN or --access-token-file, or fix one of: {}",
            tried.join("; ")
        ),
    })
}

/// Without the `azure-identity` feature there is no chain: a token must be given.
#[cfg(not(feature = "azure-identity"))]
pub(crate) async fn from_chain() -> Result<Secret, SourceError> {
    Err(SourceError::Credential {
        reason: "no Cost Management token: set AZURE_ACCESS_TOKEN or pass --access-token-file (this build has no Azure credential chain: feature azure-identity)".into(),
    })
}
