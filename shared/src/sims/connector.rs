//! The operator connector port: what the lifecycle calls to change a SIM's state at its
//! operator. The `none` connector (a contract with no integration, or a SIM without a
//! contract) applies every change at once; a real operator's connector answers `Pending` and
//! reports back later ([`Sims::settle`](super::Sims::settle)), through a callback or by being
//! polled — `docs/architecture.md` says how one plugs in.

use super::contracts::NO_INTEGRATION;
use super::{Sim, Sims};
use crate::error::{DomainError, DomainResult};
use crate::keys;
use crate::ports::{ConnectorAnswer, OperatorConnector, PortError, StateChange};
use async_trait::async_trait;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Stores state only: every change applies at once.
struct NoIntegration;

#[async_trait]
impl OperatorConnector for NoIntegration {
    fn is_immediate(&self) -> bool {
        true
    }

    async fn request(&self, _: &StateChange) -> Result<ConnectorAnswer, PortError> {
        Ok(ConnectorAnswer::Applied)
    }
}

/// The connectors a deployment knows, by id; `none` is always there.
#[derive(Clone)]
pub struct Connectors(BTreeMap<String, Arc<dyn OperatorConnector>>);

impl Default for Connectors {
    fn default() -> Self {
        let mut connectors: BTreeMap<String, Arc<dyn OperatorConnector>> = BTreeMap::new();
        connectors.insert(NO_INTEGRATION.to_owned(), Arc::new(NoIntegration));
        Connectors(connectors)
    }
}

impl Connectors {
    /// These connectors and `connector` under `id`.
    pub fn with(mut self, id: &str, connector: Arc<dyn OperatorConnector>) -> Self {
        self.0.insert(id.to_owned(), connector);
        self
    }

    pub fn knows(&self, id: &str) -> bool {
        self.0.contains_key(id)
    }

    fn get(&self, id: &str) -> DomainResult<Arc<dyn OperatorConnector>> {
        self.0
            .get(id)
            .cloned()
            .ok_or_else(|| DomainError::conflict("connector_unavailable", format!("no connector {id:?} is configured")))
    }
}

impl Sims {
    /// The connector of the SIM's contract (`none` without one).
    pub(crate) async fn connector_of(&self, sim: &Sim) -> DomainResult<Arc<dyn OperatorConnector>> {
        let Some(contract) = sim.contract_id else {
            return self.connectors.get(NO_INTEGRATION);
        };
        let contract: Option<super::contracts::Contract> = self
            .store
            .get(&keys::contract(sim.organisation_id, contract))
            .await?
            .map(|item| item.record())
            .transpose()?;
        let integration = contract.map_or_else(|| NO_INTEGRATION.to_owned(), |c| c.integration);
        self.connectors.get(&integration)
    }
}
