//! Commands to devices (issue 13, item 6): operators and owners send them, each published on
//! the device's command topic, recorded with what became of it and audited.

use super::Devices;
use crate::audit::{Actor, AuditEvent, RequestContext};
use crate::devices::credentials::refuse_retired;
use crate::error::DomainResult;
use crate::identity::Principal;
use crate::ids::{DeviceId, OrganisationId};
use crate::store::{Condition, Cursor, Item, Write};
use crate::tenancy::HandleAlerts;
use crate::time::Timestamp;
use crate::unit_of_work::UnitOfWork;
use crate::validation::{Collector, ValidationErrors, storable_json};
use crate::{keys, schema};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// The topic a device's commands are published on.
pub fn command_topic(device: DeviceId) -> String {
    format!("devices/{device}/commands")
}

/// `POST …/devices/{device_id}/commands`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = DeviceCommandRequest)]
pub struct CommandPayload {
    /// What the device is asked to do (`reboot`, `set_interval`…).
    #[schema(schema_with = command_name)]
    pub name: String,
    /// Its arguments, as the device's firmware reads them (JSON, at most 4 KB).
    #[serde(default)]
    pub payload: Value,
}

fn command_name() -> utoipa::openapi::schema::Schema {
    schema::pattern(
        r"^[A-Za-z0-9_.-]{1,64}$",
        "Letters, digits, `_`, `.` and `-`; 1 to 64 characters.",
    )
    .into()
}

const MAX_COMMAND_PAYLOAD: usize = 4_096;

/// What became of a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CommandStatus {
    /// Handed to the broker for the device (QoS 1).
    Published,
    /// The broker refused it or could not be reached.
    Failed,
}

/// A command as recorded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = DeviceCommand)]
pub struct Command {
    pub id: crate::ids::CommandId,
    pub device_id: DeviceId,
    pub name: String,
    pub payload: Value,
    pub topic: String,
    pub status: CommandStatus,
    pub sent_by: Actor,
    pub sent_at: Timestamp,
    /// Where the device was when it was sent: who reads it in the device's history.
    #[serde(default)]
    pub company_id: Option<OrganisationId>,
    #[serde(default)]
    pub end_user_id: Option<crate::ids::UserId>,
}

impl CommandPayload {
    pub(super) fn parse(self) -> Result<(String, Value), ValidationErrors> {
        let mut errors = Collector::new();
        let valid_name = !self.name.is_empty()
            && self.name.len() <= 64
            && self
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
        if !valid_name {
            errors.push(
                "name",
                "invalid_name",
                "letters, digits, `_`, `.` and `-`; 1 to 64 characters",
            );
        }
        if serde_json::to_vec(&self.payload).map_or(usize::MAX, |bytes| bytes.len()) > MAX_COMMAND_PAYLOAD {
            errors.push(
                "payload",
                "too_long",
                format!("at most {MAX_COMMAND_PAYLOAD} bytes of JSON"),
            );
        } else if !storable_json(&self.payload) {
            errors.push(
                "payload",
                "out_of_range",
                "nested at most 16 levels, numbers of magnitude 1e-130 to 1e125",
            );
        }
        errors.finish(|| (self.name, self.payload))
    }
}

impl Devices {
    /// Sends a command to a device (operators and owners): published on its command topic,
    /// recorded with what became of it, and audited.
    pub async fn send_command(
        &self,
        principal: &Principal,
        context: &RequestContext,
        organisation_id: OrganisationId,
        id: DeviceId,
        payload: CommandPayload,
    ) -> DomainResult<Command> {
        let (name, arguments) = payload.parse()?;
        let (device, _, fleet) = self.device_for::<HandleAlerts>(principal, organisation_id, id).await?;
        let root = fleet.root;
        refuse_retired(&device)?;
        let command_id = crate::ids::CommandId::generate();
        let topic = command_topic(device.id);
        let message = json!({ "id": command_id, "name": name, "payload": arguments });
        let published = self.gateway.publish(&topic, message.to_string().as_bytes()).await;
        // The gateway logs why a publish failed; the command records that it did.
        let command = Command {
            id: command_id,
            device_id: device.id,
            name,
            payload: arguments,
            topic,
            status: if published.is_ok() {
                CommandStatus::Published
            } else {
                CommandStatus::Failed
            },
            sent_by: principal.actor(),
            sent_at: self.now(),
            company_id: device.company_id,
            end_user_id: device.end_user_id,
        };
        let event = AuditEvent::by(command.sent_by.clone())
            .did("device.command_sent")
            .on("device", device.id)
            .in_organisation(root)
            .changes(json!({ "command_id": command.id, "name": command.name, "status": command.status }))
            .at(command.sent_at, context);
        UnitOfWork::new()
            .write(Write::Put {
                item: Item::from_record(keys::device_command(device.id, root, command.id), &command),
                condition: Some(Condition::NotExists),
            })
            .audit(event)
            .commit(&*self.store)
            .await?;
        Ok(command)
    }

    /// A page of a device's commands, newest first (its staff).
    pub async fn commands(
        &self,
        principal: &Principal,
        organisation_id: OrganisationId,
        id: DeviceId,
        limit: u32,
        cursor: Option<Cursor>,
    ) -> DomainResult<(Vec<Command>, Option<Cursor>)> {
        self.history(principal, organisation_id, id, keys::device_commands_of, limit, cursor)
            .await
    }
}
