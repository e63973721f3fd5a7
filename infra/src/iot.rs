//! The device gateway on AWS: IoT Core. A device's credentials are a thing named by its id,
//! an X.509 certificate made by IoT Core, and the one shared policy (template.yaml's
//! `DevicePolicy`) attached to the certificate; the policy's variables confine a connection to
//! the client id of its thing and to `devices/{thing}/` topics, so no device needs a policy
//! of its own. Commands go out through the data plane.

use crate::aws::port_error;
use async_trait::async_trait;
use aws_sdk_iot::error::ProvideErrorMetadata;
use aws_sdk_iot::types::CertificateStatus;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use stratum_shared::ids::DeviceId;
use stratum_shared::ports::{Credentials, DeviceGateway, Issued, PortError};
use tokio::sync::OnceCell;

pub struct IotGateway {
    iot: aws_sdk_iot::Client,
    config: aws_config::SdkConfig,
    /// The data plane, once its endpoint is known.
    data: OnceCell<aws_sdk_iotdataplane::Client>,
    policy_name: String,
}

impl IotGateway {
    pub fn new(config: &aws_config::SdkConfig, policy_name: impl Into<String>) -> Self {
        Self {
            iot: aws_sdk_iot::Client::new(config),
            config: config.clone(),
            data: OnceCell::new(),
            policy_name: policy_name.into(),
        }
    }

    /// The data-plane client: at the configured endpoint where one is set (moto), else at the
    /// account's ATS data endpoint, asked once per container.
    async fn data_plane(&self) -> Result<&aws_sdk_iotdataplane::Client, PortError> {
        self.data
            .get_or_try_init(|| async {
                if self.config.endpoint_url().is_some() {
                    return Ok(aws_sdk_iotdataplane::Client::new(&self.config));
                }
                let endpoint = self
                    .iot
                    .describe_endpoint()
                    .endpoint_type("iot:Data-ATS")
                    .send()
                    .await
                    .map_err(|e| port_error("DescribeEndpoint", e))?
                    .endpoint_address
                    .ok_or_else(|| PortError::Refused("IoT Core named no data endpoint".to_owned()))?;
                let config = aws_sdk_iotdataplane::config::Builder::from(&self.config)
                    .endpoint_url(format!("https://{endpoint}"))
                    .build();
                Ok(aws_sdk_iotdataplane::Client::from_conf(config))
            })
            .await
    }
}

fn failed<E>(what: &str, device: DeviceId, error: SdkError<E, HttpResponse>) -> PortError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let error = port_error(what, error);
    tracing::error!(device = %device, error = %error, "IoT Core refused");
    error
}

#[async_trait]
impl DeviceGateway for IotGateway {
    async fn issue(&self, device: DeviceId) -> Result<Issued, PortError> {
        let thing = device.to_string();
        match self.iot.create_thing().thing_name(&thing).send().await {
            Ok(_) => {}
            // Made before (credentials issued, revoked, issued again): the same thing.
            Err(error) if error.code() == Some("ResourceAlreadyExistsException") => {}
            Err(error) => return Err(failed("CreateThing", device, error)),
        }
        let made = self
            .iot
            .create_keys_and_certificate()
            .set_as_active(true)
            .send()
            .await
            .map_err(|e| failed("CreateKeysAndCertificate", device, e))?;
        let (Some(certificate_id), Some(certificate_arn), Some(certificate_pem), Some(private_key)) = (
            made.certificate_id,
            made.certificate_arn,
            made.certificate_pem,
            made.key_pair.and_then(|pair| pair.private_key),
        ) else {
            return Err(PortError::Refused(
                "IoT Core answered CreateKeysAndCertificate without a certificate".to_owned(),
            ));
        };
        let attached = async {
            self.iot
                .attach_policy()
                .policy_name(&self.policy_name)
                .target(&certificate_arn)
                .send()
                .await
                .map_err(|e| failed("AttachPolicy", device, e))?;
            self.iot
                .attach_thing_principal()
                .thing_name(&thing)
                .principal(&certificate_arn)
                .send()
                .await
                .map_err(|e| failed("AttachThingPrincipal", device, e))
        }
        .await;
        if let Err(error) = attached {
            // A certificate nobody will be given must not stay usable.
            if let Err(cause) = self
                .iot
                .update_certificate()
                .certificate_id(&certificate_id)
                .new_status(CertificateStatus::Inactive)
                .send()
                .await
            {
                failed("UpdateCertificate after a failed issue", device, cause);
            }
            return Err(error);
        }
        Ok(Issued::Certificate {
            certificate_id,
            certificate_arn,
            certificate_pem,
            private_key,
        })
    }

    async fn revoke(&self, device: DeviceId, credentials: &Credentials) -> Result<(), PortError> {
        let (Some(id), Some(arn)) = (&credentials.certificate_id, &credentials.certificate_arn) else {
            return Err(PortError::Refused(
                "credentials without a certificate were not issued here".to_owned(),
            ));
        };
        self.iot
            .update_certificate()
            .certificate_id(id)
            .new_status(CertificateStatus::Inactive)
            .send()
            .await
            .map_err(|e| failed("UpdateCertificate", device, e))?;
        self.iot
            .detach_thing_principal()
            .thing_name(device.to_string())
            .principal(arn)
            .send()
            .await
            .map_err(|e| failed("DetachThingPrincipal", device, e))?;
        self.iot
            .detach_policy()
            .policy_name(&self.policy_name)
            .target(arn)
            .send()
            .await
            .map_err(|e| failed("DetachPolicy", device, e))?;
        // An inactive certificate stops new connections, not one already open: end that too
        // (L6). A device that is not connected answers "not found", which is the same end.
        match self
            .data_plane()
            .await?
            .delete_connection()
            .client_id(device.to_string())
            .prevent_will_message(true)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(error) if error.code() == Some("ResourceNotFoundException") => Ok(()),
            Err(error) => Err(failed("DeleteConnection", device, error)),
        }
    }

    async fn publish(&self, topic: &str, payload: &[u8]) -> Result<(), PortError> {
        self.data_plane()
            .await?
            .publish()
            .topic(topic)
            .qos(1)
            .payload(aws_sdk_iotdataplane::primitives::Blob::new(payload))
            .send()
            .await
            .map(drop)
            .map_err(|error| {
                let error = port_error("Publish", error);
                tracing::error!(topic, error = %error, "IoT Core refused a publish");
                error
            })
    }
}
