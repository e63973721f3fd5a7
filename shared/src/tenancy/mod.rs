//! Tenancy (SPEC §2, §3): shared organisations, companies, memberships and roles, with every
//! invariant (T1–T8, T11) checked in the domain and committed with conditional writes.
//!
//! Invariants that count members (T3: at least one owner and one billing admin; T8: no other
//! member and no live company before deletion) are kept as counts on the organisation item
//! and written with a version condition in the same transaction as the membership change, so
//! two concurrent changes can never both pass a check the other invalidates.

mod access;
mod audit_trail;
mod billing;
mod blocks;
mod changes;
mod consent;
mod countries;
mod details;
pub(crate) mod founding;
mod grants;
mod machines;
pub(crate) mod members;
pub(crate) mod organisations;
mod permissions;
pub(crate) mod roles;
mod settings;

pub use crate::ports::SecretBox;
pub use access::{Authorized, admits, authorize, roles_in};
pub use audit_trail::AuditFilter;
pub use billing::{BillingView, PaymentMethodPayload, PaymentProvider, ProviderPayload, ProviderView};
pub(crate) use consent::notice_token;
pub use consent::{NOTICE_TOKEN_DAYS, NoticeTokenPayload};
pub(crate) use countries::is_country_code;
pub(crate) use details::country_code_pattern;
pub use details::{
    NewCompanyPayload, NewOrganisationPayload, OrganisationInput, OrganisationPatchPayload, OrganisationPayload,
};
pub use grants::{
    Grant, HandleAlerts, ManageBilling, ManageDevices, ManageMembers, ManageSettings, ManageSims, ReadAudit,
    ReadDevices, ReadOrganisation, ViewOrganisation,
};
pub use machines::{ApiKeyView, IssuedApiKey, parse_machine_name};
pub use members::MemberView;
pub use organisations::{OrganisationRead, OrganisationView};
pub use permissions::{Permission, role_grants};
pub use roles::{MACHINE_ROLES, machine_roles, parse_roles};

use crate::error::{DomainError, DomainResult};
use crate::identity::Identity;
use crate::ids::{OrganisationId, UserId};
use crate::ports::{Clock, Secrets, Store};
use crate::store::StoreError;
use crate::time::Timestamp;
use async_trait::async_trait;
use std::future::Future;
use std::sync::Arc;

/// Attempts at a change that lost a race on a version condition before answering 409.
const ATTEMPTS: usize = 4;

#[derive(Clone)]
pub struct Tenancy {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub secrets: Arc<dyn Secrets>,
    pub secret_box: Arc<dyn SecretBox>,
    /// What an end user holds in a company, released when they leave it (issue 21, L3).
    pub(crate) holdings: Arc<dyn EndUserHoldings>,
}

/// What an end user holds in a company (SIMs, devices), released when they leave it or are
/// removed: the company keeps it, unassigned. SIMs and devices sit above tenancy, so they
/// hand it this ([`crate::sims::EndUserRelease`]) rather than tenancy reaching up to them.
#[async_trait]
pub trait EndUserHoldings: Send + Sync {
    async fn release(&self, departing: &Departing) -> DomainResult<()>;
}

/// An end user leaving a company of a root: only tenancy's departures make one, so nothing
/// outside them can release anyone's holdings.
pub struct Departing {
    pub(crate) root: OrganisationId,
    pub(crate) company: OrganisationId,
    pub(crate) user: UserId,
}

impl Tenancy {
    /// Tenancy on the same ports as identity, releasing end users' holdings through `holdings`.
    pub fn new(identity: &Identity, holdings: Arc<dyn EndUserHoldings>) -> Self {
        Self {
            store: identity.store.clone(),
            clock: identity.clock.clone(),
            secrets: identity.secrets.clone(),
            secret_box: identity.secret_box.clone(),
            holdings,
        }
    }

    fn now(&self) -> Timestamp {
        Timestamp::new(self.clock.now())
    }
}

/// Runs a read–check–write change again when a concurrent change moved a version it read,
/// so the checks are always made against what the write lands on.
pub(crate) async fn with_retries<T, F, Fut>(mut attempt: F) -> DomainResult<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = DomainResult<T>>,
{
    for _ in 1..ATTEMPTS {
        match attempt().await {
            Err(DomainError::Store(StoreError::ConditionFailed { .. })) => continue,
            other => return other,
        }
    }
    match attempt().await {
        Err(DomainError::Store(StoreError::ConditionFailed { .. })) => Err(DomainError::conflict(
            "concurrent_change",
            "the organisation changed meanwhile; try again",
        )),
        other => other,
    }
}
