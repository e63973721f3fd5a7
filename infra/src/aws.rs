//! The AWS SDK configuration of the functions: region, credentials and endpoint from the
//! environment as usual, and an HTTPS client that trusts Amazon Trust Services' roots only.
//!
//! The SDK's default client loads the platform's root store when it is built — on Debian that
//! reads and parses every file under `/etc/ssl/certs` — which was most of a function's cold
//! start (docs/performance.md). AWS endpoints chain to Amazon Root CA 1–4 (cross-signed by
//! Starfield Services Root CA G2), so those five, compiled in, are all a function needs.

use aws_smithy_http_client::tls::{Provider, TlsContext, TrustStore, rustls_provider::CryptoMode};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use stratum_shared::ports::PortError;

/// Amazon Root CA 1–4 and Starfield Services Root Certificate Authority G2, PEM.
const AMAZON_TRUST_SERVICES: &[u8] = include_bytes!("../certs/amazon-trust-services.pem");

/// The SDK configuration from the environment (`AWS_REGION`, credentials, `AWS_ENDPOINT_URL`…),
/// with the Amazon-roots HTTPS client.
pub async fn sdk_config() -> aws_config::SdkConfig {
    let trust = TrustStore::empty().with_pem_certificate(AMAZON_TRUST_SERVICES);
    let tls = TlsContext::builder()
        .with_trust_store(trust)
        .build()
        .expect("a TLS context of compiled-in roots builds");
    let client = aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::AwsLc))
        .tls_context(tls)
        .build_https();
    let defaults = aws_config::defaults(aws_config::BehaviorVersion::latest()).http_client(client);
    // `sam local` runs the functions against moto (infra/sam-local.sh); empty on AWS.
    let endpoint = std::env::var("STRATUM_AWS_ENDPOINT_URL")
        .ok()
        .filter(|url| !url.trim().is_empty());
    match endpoint {
        Some(endpoint) => defaults.endpoint_url(endpoint).load().await,
        None => defaults.load().await,
    }
}

/// A failed AWS call as a port's error: a timeout, a connection that failed, a throttled call
/// or the service's own fault may pass if tried again; anything else the service refused.
pub fn port_error<E>(what: &str, error: SdkError<E, HttpResponse>) -> PortError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let transient = match &error {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => true,
        SdkError::ServiceError(context) => {
            context.raw().status().is_server_error() || error.code().is_some_and(|code| THROTTLED.contains(&code))
        }
        _ => false,
    };
    let message = format!("{what}: {}", DisplayErrorContext(&error));
    if transient {
        PortError::Unavailable(message)
    } else {
        PortError::Refused(message)
    }
}

/// The error codes AWS services answer a throttled call with.
const THROTTLED: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottled",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "LimitExceededException",
    "ProvisionedThroughputExceededException",
    "ServiceUnavailable",
];

#[cfg(test)]
mod tests {
    #[test]
    fn the_trust_store_holds_the_five_amazon_trust_services_roots() {
        let pem = String::from_utf8(super::AMAZON_TRUST_SERVICES.to_vec()).unwrap();
        assert_eq!(pem.matches("-----BEGIN CERTIFICATE-----").count(), 5);
        for root in [
            "Amazon_Root_CA_1",
            "Amazon_Root_CA_4",
            "Starfield_Services_Root_Certificate_Authority_-_G2",
        ] {
            assert!(pem.contains(root), "{root} is in the bundle");
        }
    }

    #[cfg(feature = "sqs")]
    #[test]
    fn a_throttled_or_failing_service_may_pass_later_and_a_refusal_will_not() {
        use aws_sdk_sqs::operation::send_message::SendMessageError;
        use aws_smithy_types::body::SdkBody;
        use aws_smithy_types::error::ErrorMetadata;
        let answer = |status: u16, code: &str| {
            let error = SendMessageError::generic(ErrorMetadata::builder().code(code).build());
            let raw = super::HttpResponse::new(status.try_into().unwrap(), SdkBody::empty());
            super::port_error("SendMessage", super::SdkError::service_error(error, raw))
        };
        assert!(answer(400, "ThrottlingException").is_transient());
        assert!(answer(503, "InternalError").is_transient());
        assert!(!answer(400, "InvalidParameterValue").is_transient());
        assert!(!answer(403, "AccessDenied").is_transient());
    }
}
