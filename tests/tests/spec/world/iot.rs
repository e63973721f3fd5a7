//! The devices' side of a world: on the Lambda entry point the certificates and connections
//! of moto's IoT Core; locally the MQTT broker and what the device gateway hands it.

use super::{Transport, World};

/// A certificate as IoT Core holds it: its status, the things and the policies attached.
#[derive(Debug, PartialEq, Eq)]
pub struct CertificateState {
    pub status: String,
    pub things: Vec<String>,
    pub policies: Vec<String>,
}

impl World {
    /// On the Lambda entry point, the certificate `id` as moto's IoT Core holds it, and the
    /// name of the shared device policy.
    pub async fn certificate(&self, id: &str) -> Option<(CertificateState, String)> {
        let Transport::Lambda { iot, device_policy, .. } = &self.transport else {
            return None;
        };
        let described = iot.describe_certificate().certificate_id(id).send().await.unwrap();
        let description = described.certificate_description.unwrap();
        let arn = description.certificate_arn.unwrap();
        let things = iot.list_principal_things().principal(&arn).send().await.unwrap();
        let policies = iot.list_attached_policies().target(&arn).send().await.unwrap();
        let state = CertificateState {
            status: description.status.unwrap().as_str().to_owned(),
            things: things.things.unwrap_or_default(),
            policies: policies
                .policies
                .unwrap_or_default()
                .into_iter()
                .filter_map(|policy| policy.policy_name)
                .collect(),
        };
        Some((state, device_policy.clone()))
    }

    /// On the Lambda entry point, the client ids whose IoT Core connection was asked to end.
    pub async fn deleted_connections(&self) -> Option<Vec<String>> {
        match &self.transport {
            Transport::Lambda { pipeline, .. } => Some(pipeline.moto.deleted_connections().await),
            Transport::Local { .. } => None,
        }
    }

    /// Locally, where the MQTT broker listens.
    pub fn mqtt_addr(&self) -> Option<std::net::SocketAddr> {
        match &self.transport {
            Transport::Local { server, .. } => server.as_ref().map(|server| server.mqtt_addr),
            Transport::Lambda { .. } => None,
        }
    }

    /// Locally, what the device gateway hands the broker from now on.
    pub fn publications(&self) -> Option<tokio::sync::broadcast::Receiver<stratum_infra::local_gateway::Publication>> {
        match &self.transport {
            Transport::Local { server, .. } => server.as_ref().map(|server| server.gateway.publications()),
            Transport::Lambda { .. } => None,
        }
    }
}
