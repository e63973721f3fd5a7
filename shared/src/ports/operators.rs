//! The operator connector port: what the SIM lifecycle calls to change a SIM's state at its
//! operator.

use super::PortError;
use crate::telecom::{Iccid, Imsi, SimAction};
use async_trait::async_trait;

/// A change asked of an operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateChange {
    pub iccid: Iccid,
    pub imsi: Option<Imsi>,
    pub action: SimAction,
}

/// How an operator answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectorAnswer {
    /// Done: the SIM is in its new state at the operator.
    Applied,
    /// Accepted; the operator reports the outcome later.
    Pending,
}

#[async_trait]
pub trait OperatorConnector: Send + Sync {
    /// Whether changes apply at once with no call at all (the `none` connector).
    fn is_immediate(&self) -> bool {
        false
    }

    /// Asks the operator for `change`; an error is the operator's refusal or unavailability.
    async fn request(&self, change: &StateChange) -> Result<ConnectorAnswer, PortError>;
}
