//! How devices connect (issue 13, items 4 and 6): credentials to reach the message broker,
//! and commands published to them. On AWS the broker is IoT Core — a thing named by the
//! device id, an X.509 certificate, and one shared policy whose variables confine each device
//! to its own client id and `devices/{device_id}/` topics; locally it is the embedded MQTT
//! broker, which takes the device id as username and a random password stored only as its
//! digest.
//!
//! The owners of an organisation issue and revoke credentials; its operators and owners send
//! commands, each recorded with what became of it and audited.

use super::Devices;
use super::registry::{Device, DeviceStatus};
use crate::audit::{AuditEvent, RequestContext};
use crate::error::{DomainError, DomainResult};
use crate::identity::Principal;
use crate::ids::{DeviceId, OrganisationId};
use crate::keys;
use crate::placement::Placement;
use crate::ports::{CredentialKind, Credentials, Issued};
use crate::store::{Condition, Cursor, Index, Item, Query, SortCondition, Write};
use crate::tenancy::{Grant, ManageDevices, ReadDevices};
use crate::unit_of_work::UnitOfWork;
use serde::Serialize;
use serde_json::json;

/// `POST …/credentials` on AWS: the certificate and its private key, shown once.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CertificateCredentials {
    pub certificate_id: String,
    pub certificate_pem: String,
    pub private_key: String,
}

/// Where and as whom a device signs in to the local broker.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct MqttLogin {
    pub host: String,
    pub port: u16,
    /// The device id.
    pub username: String,
    /// Shown once; only its digest is kept.
    pub password: String,
}

/// `POST …/credentials` locally.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct MqttCredentials {
    pub mqtt: MqttLogin,
}

/// The answer of `POST …/credentials`: a certificate on AWS, an MQTT login locally.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum IssuedCredentials {
    Certificate(CertificateCredentials),
    Mqtt(MqttCredentials),
}

/// A decommissioned device gets no credentials and no commands.
pub(super) fn refuse_retired(device: &Device) -> DomainResult<()> {
    if device.status == DeviceStatus::Decommissioned {
        return Err(DomainError::conflict(
            "decommissioned",
            "a decommissioned device is retired for good",
        ));
    }
    Ok(())
}

impl Devices {
    /// The device at its version, and its root, if `principal` may act on it with `G`
    /// through `organisation_id`.
    pub(super) async fn device_for<G: Grant>(
        &self,
        principal: &Principal,
        organisation_id: OrganisationId,
        id: DeviceId,
    ) -> DomainResult<(Device, u64, super::reach::Fleet)> {
        let fleet = super::reach::Fleet::of::<G>(self, principal, organisation_id).await?;
        let item = self.store.get(&keys::device(id)).await?.ok_or(DomainError::NotFound)?;
        let device: Device = item.record()?;
        if !fleet.sees(&device) {
            return Err(DomainError::NotFound);
        }
        Ok((device, item.version, fleet))
    }

    /// Issues a device's credentials (owners): shown once, kept only as what revokes them. A
    /// device has one set at a time (`409 credentials_exist`: revoke them first).
    pub async fn issue_credentials(
        &self,
        principal: &Principal,
        context: &RequestContext,
        organisation_id: OrganisationId,
        id: DeviceId,
    ) -> DomainResult<IssuedCredentials> {
        let (device, version, fleet) = self.device_for::<ManageDevices>(principal, organisation_id, id).await?;
        let root = fleet.root;
        refuse_retired(&device)?;
        let exist = || DomainError::conflict("credentials_exist", "the device has credentials; revoke them first");
        if self.store.get(&keys::device_credentials(device.id)).await?.is_some() {
            return Err(exist());
        }
        let issued = self.gateway.issue(device.id).await?;
        let now = self.now();
        let (credentials, answer) = match issued {
            Issued::Certificate {
                certificate_id,
                certificate_arn,
                certificate_pem,
                private_key,
            } => (
                Credentials {
                    device_id: device.id,
                    kind: CredentialKind::Certificate,
                    certificate_id: Some(certificate_id.clone()),
                    certificate_arn: Some(certificate_arn),
                    password_digest: None,
                    issued_at: now,
                },
                IssuedCredentials::Certificate(CertificateCredentials {
                    certificate_id,
                    certificate_pem,
                    private_key,
                }),
            ),
            Issued::Mqtt { host, port } => {
                let password = self.secrets.token();
                (
                    Credentials {
                        device_id: device.id,
                        kind: CredentialKind::Mqtt,
                        certificate_id: None,
                        certificate_arn: None,
                        password_digest: Some(self.secrets.digest(&password)),
                        issued_at: now,
                    },
                    IssuedCredentials::Mqtt(MqttCredentials {
                        mqtt: MqttLogin {
                            host,
                            port,
                            username: device.id.to_string(),
                            password,
                        },
                    }),
                )
            }
        };
        let event = AuditEvent::by(principal.actor())
            .did("device.credentials_issued")
            .on("device", device.id)
            .in_organisation(root)
            .changes(json!({ "kind": credentials.kind, "certificate_id": credentials.certificate_id }))
            .at(now, context);
        let written = UnitOfWork::new()
            .write_or(
                Write::Put {
                    item: Item::from_record(keys::device_credentials(device.id), &credentials),
                    condition: Some(Condition::NotExists),
                },
                exist(),
            )
            .write_or(
                // Still the device read: not decommissioned or handed on meanwhile.
                Write::Check {
                    key: keys::device(device.id),
                    condition: Condition::VersionIs(version),
                },
                DomainError::conflict("concurrent_change", "the device changed meanwhile; try again"),
            )
            .audit(event)
            .commit(&*self.store)
            .await;
        if let Err(error) = written {
            // Lost a race with another issue (or the write failed): what was just made must
            // not stay usable. The gateway logs a failure to revoke.
            let _ = self.gateway.revoke(device.id, &credentials).await;
            return Err(error);
        }
        Ok(answer)
    }

    /// Revokes a device's credentials (owners): on AWS its certificate is made inactive and
    /// detached; locally the password stops working.
    pub async fn revoke_credentials(
        &self,
        principal: &Principal,
        context: &RequestContext,
        organisation_id: OrganisationId,
        id: DeviceId,
    ) -> DomainResult<()> {
        let (device, _, fleet) = self.device_for::<ManageDevices>(principal, organisation_id, id).await?;
        let root = fleet.root;
        let item = self
            .store
            .get(&keys::device_credentials(device.id))
            .await?
            .ok_or(DomainError::NotFound)?;
        let credentials: Credentials = item.record()?;
        self.gateway.revoke(device.id, &credentials).await?;
        let event = AuditEvent::by(principal.actor())
            .did("device.credentials_revoked")
            .on("device", device.id)
            .in_organisation(root)
            .changes(json!({ "kind": credentials.kind, "certificate_id": credentials.certificate_id }))
            .at(self.now(), context);
        UnitOfWork::new()
            .write_or(
                Write::Delete {
                    key: item.key,
                    condition: Some(Condition::VersionIs(item.version)),
                },
                DomainError::NotFound,
            )
            .audit(event)
            .commit(&*self.store)
            .await
    }

    /// A page of one of a device's histories in its current organisation (`prefix_of` names
    /// which), newest first, for the organisation's staff: what was recorded while the device
    /// was theirs (a company's staff see nothing of its time elsewhere).
    pub(super) async fn history<T: serde::de::DeserializeOwned>(
        &self,
        principal: &Principal,
        organisation_id: OrganisationId,
        id: DeviceId,
        prefix_of: fn(OrganisationId) -> String,
        limit: u32,
        cursor: Option<Cursor>,
    ) -> DomainResult<(Vec<T>, Option<Cursor>)> {
        let (device, _, fleet) = self.device_for::<ReadDevices>(principal, organisation_id, id).await?;
        let page = self
            .store
            .query(
                &Query::new(Index::Table, keys::device(device.id).pk)
                    .sort(SortCondition::BeginsWith(prefix_of(fleet.root)))
                    .descending()
                    .limit(limit)
                    .after(cursor),
            )
            .await?;
        let reader = fleet.reader();
        let entries = page
            .items
            .iter()
            .filter(|item| Placement::of_item(item).seen_by(&reader))
            .map(Item::record)
            .collect::<Result<_, _>>()?;
        Ok((entries, page.next))
    }
}
