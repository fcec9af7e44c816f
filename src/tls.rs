//! The process's TLS crypto provider: rustls with `ring`.
//!
//! reqwest, object_store and azure_core all build their HTTPS clients on rustls without a
//! bundled provider (`rustls-no-provider`), so this one is installed before the first client is
//! built. `ring` serves the same TLS 1.2/1.3 suites as the aws-lc-rs default without compiling
//! aws-lc's C sources with CMake, which was the largest single step of a cold build
//! (BENCHMARKS.md, "Cold build"). The same provider signs S3 and Azure requests.

use std::sync::Once;

/// Installs the provider for the whole process; later calls do nothing. Every place that
/// builds an HTTPS client calls it first, so library users need not.
pub fn install_crypto_provider() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // An error means another provider was installed first (by a program embedding this
        // library); that one is then used.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

#[cfg(test)]
mod tests {
    #[test]
    fn installed_provider_builds_a_client() {
        super::install_crypto_provider();
        super::install_crypto_provider();
        assert!(rustls::crypto::CryptoProvider::get_default().is_some());
        reqwest::Client::builder()
            .build()
            .expect("client with the ring provider");
    }

    /// The handshake really starts: the ClientHello (made by the provider) reaches a loopback
    /// listener, which answers with bytes that are not TLS, and the request fails cleanly.
    #[tokio::test]
    async fn handshake_reaches_the_server_and_fails_cleanly_on_garbage() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        super::install_crypto_provider();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = tokio::spawn(async move {
            let (mut sock, _) = listener.accept().await.unwrap();
            let mut hello = [0u8; 5];
            sock.read_exact(&mut hello).await.unwrap();
            sock.write_all(b"HTTP/1.1 400 not tls\r\n\r\n")
                .await
                .unwrap();
            hello
        });
        let client = reqwest::Client::builder().build().unwrap();
        let err = client
            .get(format!("https://127.0.0.1:{port}/"))
            .send()
            .await
            .expect_err("not a TLS server");
        assert!(err.is_connect(), "{err:?}");
        let hello = server.await.unwrap();
        assert_eq!(hello[0], 0x16, "a TLS handshake record");
        assert_eq!(hello[1], 0x03, "TLS major version 3");
    }
}
