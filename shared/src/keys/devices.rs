//! Keys of devices: models, devices, environments, markers, credentials, commands, maintenance,
//! latest values, telemetry points and IMEI claims.

use super::compose;
use super::organisations::organisation_partition;
use crate::ids::{CommandId, DeviceId, DeviceModelId, EnvironmentId, MaintenanceId, MarkerId, OrganisationId};
use crate::placement::Placement;
use crate::store::{IndexKey, Key};
use crate::telecom::Imei;

/// Device models: few, read by everyone signed in, in one partition.
pub const DEVICE_MODELS: &str = "DEVICE_MODELS";

pub fn device_model(model: DeviceModelId) -> Key {
    Key::new(DEVICE_MODELS, compose(&["MODEL", &model.to_string()]))
}

/// A device.
pub fn device(device: DeviceId) -> Key {
    Key::new(compose(&["DEVICE", &device.to_string()]), "DEVICE")
}

pub const ENVIRONMENTS_PREFIX: &str = "ENVIRONMENT#";

/// An environment, in its (root) organisation's partition.
pub fn environment(organisation: OrganisationId, environment: EnvironmentId) -> Key {
    Key::new(
        organisation_partition(organisation),
        format!("{ENVIRONMENTS_PREFIX}{environment}"),
    )
}

pub const MARKERS_PREFIX: &str = "MARKER#";

/// A map marker, in its (root) organisation's partition.
pub fn marker(organisation: OrganisationId, marker: MarkerId) -> Key {
    Key::new(
        organisation_partition(organisation),
        format!("{MARKERS_PREFIX}{marker}"),
    )
}

/// A device's credentials to reach the broker (what revokes them; never the secret).
pub fn device_credentials(device: DeviceId) -> Key {
    Key::new(compose(&["DEVICE", &device.to_string()]), "CREDENTIALS")
}

/// The sort-key prefix of the commands an organisation sent a device: a device handed on
/// keeps its history with each organisation apart.
pub fn device_commands_of(organisation: OrganisationId) -> String {
    compose(&["COMMAND", &organisation.to_string(), ""])
}

/// A command sent to a device, in its partition by organisation and time (ids are UUIDv7).
pub fn device_command(device: DeviceId, organisation: OrganisationId, command: CommandId) -> Key {
    Key::new(
        compose(&["DEVICE", &device.to_string()]),
        format!("{}{command}", device_commands_of(organisation)),
    )
}

/// The sort-key prefix of a device's maintenance entries made in an organisation.
pub fn maintenance_of(organisation: OrganisationId) -> String {
    compose(&["MAINTENANCE", &organisation.to_string(), ""])
}

/// An entry of a device's maintenance history, in its partition by organisation and time.
pub fn maintenance_entry(device: DeviceId, organisation: OrganisationId, entry: MaintenanceId) -> Key {
    Key::new(
        compose(&["DEVICE", &device.to_string()]),
        format!("{}{entry}", maintenance_of(organisation)),
    )
}

/// A device's latest values and last-seen in an organisation while with one holder (one item,
/// updated only by newer messages): a device handed on, or placed with another company or end
/// user, starts afresh, and what it reported before stays with whom it reported to.
pub fn device_latest(organisation: OrganisationId, placement: &Placement, device: DeviceId) -> Key {
    let [company, end_user] = placement.segments();
    Key::new(
        compose(&[
            "LATEST",
            &organisation.to_string(),
            &company,
            &end_user,
            &device.to_string(),
        ]),
        "LATEST",
    )
}

/// The partition of a device's telemetry points in an organisation.
pub fn telemetry_partition(organisation: OrganisationId, device: DeviceId) -> String {
    compose(&["TELEMETRY", &organisation.to_string(), &device.to_string()])
}

/// A telemetry point's sort key: time (milliseconds, zero-padded so text order is time
/// order) then sequence number, so one message is one key.
pub fn telemetry_sort_key(millis: i64, seq: u64) -> String {
    format!("{millis:013}#{seq:020}")
}

/// A telemetry point of a device, in its own partition by time.
pub fn telemetry_point(organisation: OrganisationId, device: DeviceId, millis: i64, seq: u64) -> Key {
    Key::new(
        telemetry_partition(organisation, device),
        telemetry_sort_key(millis, seq),
    )
}

/// An IMEI's claim: one item per IMEI platform-wide, naming its device.
pub fn imei(imei: &Imei) -> Key {
    Key::new(compose(&["IMEI", imei.as_str()]), "IMEI")
}

/// GSI1 key of an assigned device: its organisation's devices.
pub fn device_of_organisation(organisation: OrganisationId, device: DeviceId) -> IndexKey {
    IndexKey::new(
        devices_partition(organisation),
        compose(&["DEVICE", &device.to_string()]),
    )
}

pub fn devices_partition(organisation: OrganisationId) -> String {
    compose(&["DEVICES", &organisation.to_string()])
}

/// GSI2 key of a device: every device of the platform (what platform admins list; written
/// when a device is registered or handed over, never on the telemetry path).
pub fn device_everywhere(device: DeviceId) -> IndexKey {
    IndexKey::new(ALL_DEVICES, compose(&["DEVICE", &device.to_string()]))
}

pub const ALL_DEVICES: &str = "DEVICES";
