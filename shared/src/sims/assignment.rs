//! Assigning a SIM to a company of its organisation and, optionally, an end user of it.

use super::counts::CountDeltas;
use super::records::{pointer_writes, sim_write};
use super::{Sim, Sims, sim_scope};
use crate::audit::{AuditEvent, RequestContext};
use crate::error::{DomainError, DomainResult};
use crate::identity::{Membership, Organisation, Principal};
use crate::ids::{OrganisationId, UserId};
use crate::keys;
use crate::sims::wire::SimView;
use crate::store::{Condition, Write};
use crate::telecom::Iccid;
use crate::tenancy::ManageSims;
use crate::unit_of_work::UnitOfWork;
use crate::validation::ValidationErrors;
use serde_json::json;

impl Sims {
    /// Assigns a SIM to a company of its organisation and, optionally, an end user of that
    /// company (`None` for `assignment`: unassigns it).
    pub async fn assign_sim(
        &self,
        principal: &Principal,
        context: &RequestContext,
        organisation_id: OrganisationId,
        iccid: &Iccid,
        assignment: Option<(OrganisationId, Option<UserId>)>,
    ) -> DomainResult<(SimView, u64)> {
        let scope = sim_scope::<ManageSims>(&*self.store, principal, organisation_id).await?;
        // The SIM, and the company and membership the assignment names, in one read.
        let mut wanted = vec![keys::sim(scope.root, iccid)];
        if let Some((company, end_user)) = assignment {
            wanted.push(keys::organisation(company));
            if let Some(user) = end_user {
                wanted.push(keys::membership(user, company));
            }
        }
        let found = self.store.batch_get(&wanted).await?;
        let sim_item = found[0].as_ref().ok_or(DomainError::NotFound)?;
        let version = sim_item.version;
        let sim = scope.visible(sim_item.record()?)?;
        let mut checks = Vec::new();
        if let Some((company, end_user)) = assignment {
            if scope.company.is_some_and(|own| own != company) {
                return Err(DomainError::Inconsistent(ValidationErrors::single(
                    "company_id",
                    "not_this_company",
                    "through a company, SIMs are assigned within that company",
                )));
            }
            let company_item = found[1]
                .as_ref()
                .map(|item| item.record::<Organisation>())
                .transpose()?;
            if company_item.is_none_or(|c| c.parent_organisation_id != Some(scope.root) || c.deleted_at.is_some()) {
                return Err(DomainError::Inconsistent(ValidationErrors::single(
                    "company_id",
                    "unknown_company",
                    "no company of this organisation has this id",
                )));
            }
            if end_user.is_some() {
                let membership = found[2]
                    .as_ref()
                    .map(|item| (item.record::<Membership>(), item.key.clone()));
                match membership {
                    Some((Ok(membership), key)) if membership.active => checks.push(Write::Check {
                        key,
                        condition: Condition::AttributeEquals("active".into(), json!(true)),
                    }),
                    _ => {
                        return Err(DomainError::Inconsistent(ValidationErrors::single(
                            "end_user_id",
                            "not_a_member",
                            "the end user must be a member of the company",
                        )));
                    }
                }
            }
        }
        let now = self.now();
        let (company, end_user) = match (assignment, scope.company) {
            (Some((company, end_user)), _) => (Some(company), end_user),
            // Through a company, taking a SIM back frees it from its end user; the company
            // keeps it (it is the root's to take away).
            (None, Some(own)) => (Some(own), None),
            (None, None) => (None, None),
        };
        let moved = company != sim.company_id || end_user != sim.end_user_id;
        let next = Sim {
            company_id: company,
            end_user_id: end_user,
            // A code printed for the SIM where it was claims nothing where it goes.
            activation_code_digest: if moved {
                None
            } else {
                sim.activation_code_digest.clone()
            },
            claimed_at: if moved { None } else { sim.claimed_at },
            updated_at: now,
            ..sim.clone()
        };
        let mut counts = CountDeltas::default();
        counts.remove(&sim);
        counts.add(&next);
        let mut pointers = pointer_writes(&sim, &next);
        pointers.extend(super::records::code_pointer_writes(&sim, &next));
        let action = if assignment.is_some() {
            "sim.assigned"
        } else {
            "sim.unassigned"
        };
        let event = AuditEvent::by(principal.actor())
            .did(action)
            .on("sim", iccid)
            .in_organisation(scope.root)
            .changes(json!({ "company_id": company, "end_user_id": end_user }))
            .at(now, context);
        let unit = || {
            UnitOfWork::new()
                .write_or(
                    sim_write(&next, Some(version)),
                    DomainError::conflict("concurrent_change", "the SIM changed meanwhile; try again"),
                )
                .writes(pointers.clone())
                .writes(checks.clone())
                .audit(event.clone())
                .otherwise(DomainError::conflict(
                    "concurrent_change",
                    "the end user's membership changed meanwhile; try again",
                ))
        };
        self.commit_counted(unit, &counts, scope.root).await?;
        Ok((next.into(), version + 1))
    }
}
