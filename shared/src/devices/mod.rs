//! Devices (SPEC §7, seeds 001 and 003): the models the platform defines and the devices it
//! pre-registers by IMEI and hands to organisations, and the organisations' view of them.

mod alerts;
mod commands;
mod credentials;
mod environments;
mod fleet;
mod import;
mod map;
mod markers;
mod models;
mod patch;
mod reach;
mod readings;
mod registry;
mod upkeep;

pub use alerts::{AcknowledgePayload, AlertFilter, ClearPayload};
pub use commands::{Command, CommandPayload, CommandStatus, command_topic};
pub use credentials::{CertificateCredentials, IssuedCredentials, MqttCredentials, MqttLogin};
pub use environments::{Environment, EnvironmentKind, EnvironmentPatch, EnvironmentPayload};
pub use fleet::DeviceFilter;
pub(crate) use import::register_rows;
pub use import::{DEVICES_PER_TRANSACTION, DeviceImportRow};
pub use map::{BoundingBox, Map};
pub use markers::{Marker, MarkerPatch, MarkerPayload, MarkerTarget};
pub(crate) use models::MIN_TIMEOUT_SECONDS;
pub use models::{DeviceModel, DeviceModelPayload, MAX_PORTS, ModelInput, Port, PortKind};
pub use patch::{DevicePatch, DevicePatchPayload};
pub use readings::{Aggregate, Bucket, Latest, MAX_AGGREGATED_POINTS, Point, Range};
pub use registry::{Device, DeviceStatus, Location, OrganisationPayload, PortOverride, RegistrationPayload};
pub use upkeep::{DevicePorts, EffectivePort, MaintenanceEntry, MaintenancePayload, PortPayload, effective_port};

use crate::ports::{Clock, DeviceGateway, JobQueue, Secrets, Store};
use crate::time::Timestamp;
use std::sync::Arc;

/// The device use cases, on the store and clock ports.
#[derive(Clone)]
pub struct Devices {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    /// Where a large import's chunks go (the SIM imports' queue and worker).
    pub jobs: Arc<dyn JobQueue>,
    /// The broker devices connect to: credentials and commands.
    pub gateway: Arc<dyn DeviceGateway>,
    /// Passwords for the local broker, and their digests.
    pub secrets: Arc<dyn Secrets>,
    /// What alert e-mails need (an alert cleared by hand is e-mailed).
    pub notices: crate::alerts::Notices,
}

impl Devices {
    fn now(&self) -> Timestamp {
        Timestamp::new(self.clock.now())
    }
}
