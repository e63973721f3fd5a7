//! The SIM lifecycle: `inventory → active ⇄ suspended → terminated`, terminated final and
//! refused under termination protection, with a pending state for each change while an
//! asynchronous operator connector works on it. Changes go through the SIM's connector
//! (`connector`), are audited and move the SIM's counters.

use super::counts::CountDeltas;
use super::{Sim, Sims, sim_scope};
use crate::audit::{Actor, AuditEvent, RequestContext};
use crate::error::{DomainError, DomainResult};
use crate::identity::Principal;
use crate::ids::OrganisationId;
use crate::keys;
use crate::ports::{ConnectorAnswer, StateChange};
use crate::sims::records::sim_write;
use crate::sims::wire::SimView;
use crate::telecom::{Iccid, SimAction, SimStatus};
use crate::tenancy::ManageSims;
use crate::unit_of_work::UnitOfWork;
use serde_json::json;

/// Whether a change of state e-mails its status-change rules' recipients itself, or leaves
/// that to its job's digest (a bulk change: one e-mail per rule and person for the whole
/// request, never one per SIM).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Notify {
    Each,
    InDigest,
}

/// The state `action` lands a SIM in.
pub fn target_of(action: SimAction) -> SimStatus {
    match action {
        SimAction::Activate => SimStatus::Active,
        SimAction::Suspend => SimStatus::Suspended,
        SimAction::Terminate => SimStatus::Terminated,
    }
}

/// Where `action` takes a SIM in `status`: the pending state while an operator works on it,
/// and the state it lands in. Pure: the rules of the lifecycle and nothing else.
pub fn transition(status: SimStatus, action: SimAction, protected: bool) -> DomainResult<(SimStatus, SimStatus)> {
    use SimAction::*;
    use SimStatus::*;
    if status.is_pending() {
        return Err(DomainError::conflict(
            "change_pending",
            "the operator is still working on this SIM's last change",
        ));
    }
    match (status, action) {
        (Terminated, _) => Err(DomainError::conflict("terminated", "a terminated SIM stays terminated")),
        (Inventory | Suspended, Activate) => Ok((ActivationPending, Active)),
        (Active, Suspend) => Ok((SuspensionPending, Suspended)),
        (_, Terminate) if protected => Err(DomainError::conflict(
            "termination_protected",
            "this SIM has termination protection; turn it off first",
        )),
        (Inventory | Active | Suspended, Terminate) => Ok((TerminationPending, Terminated)),
        (status, action) => Err(DomainError::conflict(
            "invalid_transition",
            format!("a SIM in {} cannot {}", status.as_str(), action.as_str()),
        )),
    }
}

impl Sims {
    /// Changes a SIM's state through its operator connector: at once with the `none`
    /// connector, or into the pending state until the operator reports back ([`Sims::settle`]).
    pub async fn change_state(
        &self,
        principal: &Principal,
        context: &RequestContext,
        organisation_id: OrganisationId,
        iccid: &Iccid,
        action: SimAction,
    ) -> DomainResult<(SimView, u64)> {
        let scope = sim_scope::<ManageSims>(&*self.store, principal, organisation_id).await?;
        let (sim, version) = self.sim(scope.root, iccid).await?;
        let sim = scope.visible(sim)?;
        let (sim, version) = self
            .apply(sim, version, action, principal.actor(), context, Notify::Each)
            .await?;
        Ok((sim.into(), version))
    }

    /// A change the platform makes itself (a SIM rule suspending a SIM).
    pub(crate) async fn change_state_as_system(
        &self,
        root: OrganisationId,
        iccid: &Iccid,
        action: SimAction,
        context: &RequestContext,
    ) -> DomainResult<()> {
        let (sim, version) = self.sim(root, iccid).await?;
        self.apply(sim, version, action, Actor::system(), context, Notify::Each)
            .await
            .map(drop)
    }

    /// `action` on `sim` (read at `version`), through its connector; its status-change rules
    /// e-mail as `notify` says.
    pub(crate) async fn apply(
        &self,
        sim: Sim,
        version: u64,
        action: SimAction,
        actor: Actor,
        context: &RequestContext,
        notify: Notify,
    ) -> DomainResult<(Sim, u64)> {
        let iccid = &sim.iccid;
        let (pending, target) = transition(sim.status, action, sim.termination_protection)?;
        let connector = self.connector_of(&sim).await?;
        let change = StateChange {
            iccid: sim.iccid.clone(),
            imsi: sim.imsi.clone(),
            action,
        };
        if connector.is_immediate() {
            return self
                .move_to(&sim, version, target, None, (actor, context, notify), (action, "done"))
                .await;
        }
        // An operator that works asynchronously: the SIM is pending before it is asked, so
        // what the operator is doing is never unrecorded here.
        let pending_sim = self
            .move_to(
                &sim,
                version,
                pending,
                Some(sim.status),
                (actor, context, notify),
                (action, "requested"),
            )
            .await?;
        match connector.request(&change).await {
            Ok(ConnectorAnswer::Pending) => Ok(pending_sim),
            Ok(ConnectorAnswer::Applied) => self.settle_as(sim.organisation_id, iccid, true, notify).await,
            Err(reason) => {
                self.settle_as(sim.organisation_id, iccid, false, notify).await?;
                Err(DomainError::conflict(
                    "operator_refused",
                    format!("the operator refused the change: {reason}"),
                ))
            }
        }
    }

    /// The operator's report on a pending change to a SIM of `root` (an operator reports
    /// through the contract it holds with that root): the SIM lands in its target state, or
    /// goes back to where it was.
    pub async fn settle(&self, root: OrganisationId, iccid: &Iccid, succeeded: bool) -> DomainResult<(Sim, u64)> {
        self.settle_as(root, iccid, succeeded, Notify::Each).await
    }

    async fn settle_as(
        &self,
        root: OrganisationId,
        iccid: &Iccid,
        succeeded: bool,
        notify: Notify,
    ) -> DomainResult<(Sim, u64)> {
        let (sim, version) = self.sim(root, iccid).await?;
        let Some(previous) = sim.previous_status else {
            return Err(DomainError::conflict(
                "nothing_pending",
                "this SIM has no change pending",
            ));
        };
        let (target, action) = match sim.status {
            SimStatus::ActivationPending => (SimStatus::Active, SimAction::Activate),
            SimStatus::SuspensionPending => (SimStatus::Suspended, SimAction::Suspend),
            SimStatus::TerminationPending => (SimStatus::Terminated, SimAction::Terminate),
            _ => {
                return Err(DomainError::conflict(
                    "nothing_pending",
                    "this SIM has no change pending",
                ));
            }
        };
        let (landing, outcome) = if succeeded {
            (target, "done")
        } else {
            (previous, "failed")
        };
        let context = RequestContext::default();
        self.move_to(
            &sim,
            version,
            landing,
            None,
            (Actor::system(), &context, notify),
            (action, outcome),
        )
        .await
    }

    /// Writes `sim` in `status` (with the status to return to, while pending), its counters
    /// and the audit event, in one transaction conditional on the version read.
    async fn move_to(
        &self,
        sim: &Sim,
        version: u64,
        status: SimStatus,
        previous: Option<SimStatus>,
        (actor, context, notify): (Actor, &RequestContext, Notify),
        (action, outcome): (SimAction, &str),
    ) -> DomainResult<(Sim, u64)> {
        let now = self.now();
        let moved = Sim {
            status,
            previous_status: previous,
            // A terminated SIM is claimed by nobody.
            activation_code_digest: sim
                .activation_code_digest
                .clone()
                .filter(|_| status != SimStatus::Terminated),
            updated_at: now,
            ..sim.clone()
        };
        let mut counts = CountDeltas::default();
        counts.remove(sim);
        counts.add(&moved);
        let event = AuditEvent::by(actor)
            .did(&format!("sim.{}_{outcome}", action.as_str()))
            .on("sim", &sim.iccid)
            .in_organisation(sim.organisation_id)
            .changes(json!({ "from": sim.status, "to": status }))
            .at(now, context);
        let mails = match notify {
            Notify::Each => self.status_mails(&moved, sim.status).await?,
            Notify::InDigest => vec![],
        };
        let unit = || {
            UnitOfWork::new()
                .write_or(
                    sim_write(&moved, Some(version)),
                    DomainError::conflict("concurrent_change", "the SIM changed meanwhile; try again"),
                )
                .writes(super::records::code_pointer_writes(sim, &moved))
                .audit(event.clone())
                .writes(mails.clone())
        };
        self.commit_counted(unit, &counts, sim.organisation_id).await?;
        Ok((moved, version + 1))
    }

    /// The SIM of `root` with this ICCID, and its version.
    pub(crate) async fn sim(&self, root: OrganisationId, iccid: &Iccid) -> DomainResult<(Sim, u64)> {
        let item = self
            .store
            .get(&keys::sim(root, iccid))
            .await?
            .ok_or(DomainError::NotFound)?;
        Ok((item.record()?, item.version))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::telecom::SimAction::*;
    use crate::telecom::SimStatus::*;

    fn code(result: DomainResult<(SimStatus, SimStatus)>) -> &'static str {
        match result {
            Err(DomainError::Conflict { code, .. }) => code,
            other => panic!("expected a conflict, got {other:?}"),
        }
    }

    #[test]
    fn a_sim_goes_from_inventory_to_active_and_back_and_forth_with_suspended() {
        assert_eq!(
            transition(Inventory, Activate, false).unwrap(),
            (ActivationPending, Active)
        );
        assert_eq!(
            transition(Active, Suspend, false).unwrap(),
            (SuspensionPending, Suspended)
        );
        assert_eq!(
            transition(Suspended, Activate, false).unwrap(),
            (ActivationPending, Active)
        );
    }

    #[test]
    fn terminated_is_final() {
        for action in [Activate, Suspend, Terminate] {
            assert_eq!(code(transition(Terminated, action, false)), "terminated");
        }
    }

    #[test]
    fn termination_protection_refuses_termination_only() {
        assert_eq!(code(transition(Active, Terminate, true)), "termination_protected");
        assert!(transition(Active, Suspend, true).is_ok());
        assert_eq!(transition(Active, Terminate, false).unwrap().1, Terminated);
    }

    #[test]
    fn nothing_happens_to_a_sim_while_its_operator_works() {
        for pending in [ActivationPending, SuspensionPending, TerminationPending] {
            assert_eq!(code(transition(pending, Terminate, false)), "change_pending");
        }
    }

    #[test]
    fn an_inventory_sim_cannot_be_suspended_nor_an_active_one_activated() {
        assert_eq!(code(transition(Inventory, Suspend, false)), "invalid_transition");
        assert_eq!(code(transition(Active, Activate, false)), "invalid_transition");
    }
}
