//! Claiming invitations, which happens only for a proven mailbox (SPEC §5): nothing is granted
//! to an address that is not proven. A mailbox is proven by confirming the address, by a
//! password reset (both e-mailed links), or by registering with an invitation's own token for
//! that address (the token came through that mailbox). An invitation whose token was used with
//! another address is bound to that registrant and claimed only when they confirm; a reset,
//! which proves the mailbox but not who registered, revokes it instead.
//!
//! Claiming writes, in the transaction of the proof: each accepted invitation consumed by a
//! condition on its version (so a token is accepted once), the membership, the organisation's
//! counts, and for a `pending_owner` organisation the activation with the claimant as owner,
//! billing admin and billing subscriber — whichever order registration and creation happened
//! in. Of several invitations to one organisation the newest wins and the others are revoked;
//! one whose organisation is gone is skipped, revoked and reported.

use super::{Invitation, InvitationStatus, Invitations};
use crate::accounts::Role;
use crate::audit::RequestContext;
use crate::error::{DomainError, DomainResult};
use crate::identity::{Membership, Organisation, OrganisationStatus, User};
use crate::ids::{InvitationId, OrganisationId, UserId};
use crate::keys;
use crate::store::{Condition, Index, Item, Query, StoreError, Update, Write};
use crate::tenancy::founding::pending_owner_roles;
use crate::tenancy::organisations::counts_update;
use crate::time::Timestamp;
use crate::unit_of_work::UnitOfWork;
use serde::Serialize;
use serde_json::json;

/// Writes a claim may add to the transaction of its proof (DynamoDB allows 100; the proof
/// itself and the registration take the rest). Invitations beyond it stay pending.
const CLAIM_WRITE_BUDGET: usize = 80;
/// Attempts at a registration or proof that lost a race on a version it read.
pub(super) const ATTEMPTS: usize = 3;

/// What became of the invitation token a registration carried: applied, or not and why.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct InvitationReport {
    pub applied: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invitation_id: Option<InvitationId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organisation_id: Option<OrganisationId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl InvitationReport {
    pub(super) fn not_applied(code: &'static str, detail: impl Into<String>) -> Self {
        Self {
            applied: false,
            invitation_id: None,
            organisation_id: None,
            code: Some(code),
            detail: Some(detail.into()),
        }
    }
}

/// The writes that claim a set of invitations for one user, and what they claim.
#[derive(Debug, Default)]
pub(super) struct Claim {
    pub(super) writes: Vec<Write>,
    pub(super) accepted: Vec<InvitationId>,
    /// Invitations not applied, with the reason (`organisation_gone`, `superseded`, …).
    skipped: Vec<(InvitationId, &'static str)>,
    /// The organisation the claim makes the user's default (T11): the newest one joined.
    pub(super) joined: Option<OrganisationId>,
}

/// What accepting one invitation comes to.
enum Acceptance {
    Accepted(Vec<Write>),
    Skipped(&'static str, Vec<Write>),
}

impl Invitations {
    /// Confirms an address with the token from the confirmation e-mail and the password the
    /// registration was made with, and claims the invitations waiting for it.
    pub async fn confirm_email(&self, token: &str, password: &str, context: &RequestContext) -> DomainResult<()> {
        self.prove(Proof::Confirmation { token, password }, context).await?;
        Ok(())
    }

    /// Sets a new password with the token from a reset e-mail, which proves the mailbox: the
    /// address counts as confirmed, the invitations waiting for it are claimed, and every
    /// session ends (an unconfirmed registration by someone else never locks the real owner
    /// of the address out).
    pub async fn reset_password(&self, token: &str, password: &str, context: &RequestContext) -> DomainResult<()> {
        let user = self.prove(Proof::Reset { token, password }, context).await?;
        self.identity.revoke_all_sessions(user).await
    }

    /// Commits a proof of the mailbox (planned again after a lost race) with the invitations
    /// it claims; answers whose mailbox it was.
    async fn prove(&self, proof: Proof<'_>, context: &RequestContext) -> DomainResult<UserId> {
        for _ in 0..ATTEMPTS {
            let (proof, by_registrant) = match proof {
                Proof::Confirmation { token, password } => {
                    (self.identity.email_confirmation(token, password, context).await?, true)
                }
                Proof::Reset { token, password } => {
                    (self.identity.password_reset(token, password, context).await?, false)
                }
            };
            let now = self.now();
            let waiting = self.pending_for(&proof.user).await?;
            let claim = if by_registrant {
                // The registrant themselves (the token and their password): all that is theirs.
                self.claim(&proof.user, waiting, now).await?
            } else {
                // The mailbox's owner, who may not be who registered: what was addressed to the
                // address is theirs; what a registrant bound ends with that registrant.
                let (addressed, bound) = bound_apart(waiting);
                let mut claim = self.claim(&proof.user, addressed, now).await?;
                claim.revoke(&bound);
                claim
            };
            let mut profile = proof.profile;
            if let Some(organisation) = claim.joined {
                profile = profile.set("default_organisation_id", json!(organisation));
            }
            let used = DomainError::gone("token_used", "this link has already been used");
            let committed = UnitOfWork::default()
                .write_or(proof.consume, Retry::Fail(used))
                .write(Write::Update(profile))
                .audit(proof.event)
                .writes(proof.also)
                .writes(claim.writes)
                // Lost a race on a version it read: plan again on what the winner left.
                .otherwise(Retry::Again)
                .commit(&*self.identity.store)
                .await;
            match committed {
                Ok(()) => return Ok(proof.user.id),
                Err(Retry::Again) => continue,
                Err(Retry::Fail(error)) => return Err(error),
            }
        }
        Err(DomainError::conflict(
            "concurrent_change",
            "the account changed meanwhile; try again",
        ))
    }

    /// The user's invitations that are still pending and unexpired.
    pub(super) async fn pending_for(&self, user: &User) -> DomainResult<Vec<(Invitation, u64)>> {
        let query = Query::new(Index::Gsi2, keys::invited_user_partition(user.id)).limit(crate::store::MAX_PAGE);
        let now = self.now();
        let mut pending = Vec::new();
        for item in self.identity.store.query(&query).await?.items {
            let invitation: Invitation = item.record()?;
            if invitation.status == InvitationStatus::Pending && invitation.expires_at > now {
                // Index reads are eventually consistent: re-read for the version to condition on.
                if let Some(fresh) = self.identity.store.get(&item.key).await? {
                    pending.push((fresh.record()?, fresh.version));
                }
            }
        }
        Ok(pending)
    }

    /// The writes that claim `invitations` for `user`: newest first, one per organisation
    /// (older ones to the same organisation are revoked), within the transaction's budget.
    pub(super) async fn claim(
        &self,
        user: &User,
        mut invitations: Vec<(Invitation, u64)>,
        now: Timestamp,
    ) -> DomainResult<Claim> {
        // Newest first; ids are time-ordered, so they settle invitations made in one instant.
        invitations.sort_by_key(|(invitation, _)| std::cmp::Reverse((invitation.created_at, invitation.id)));
        let mut claim = Claim::default();
        let mut organisations: Vec<OrganisationId> = Vec::new();
        for (invitation, version) in invitations {
            if claim.writes.len() + 4 > CLAIM_WRITE_BUDGET {
                break;
            }
            if let Some(organisation) = invitation.organisation_id {
                if organisations.contains(&organisation) {
                    claim
                        .writes
                        .extend(close(&invitation, version, InvitationStatus::Revoked, None));
                    claim.skipped.push((invitation.id, "superseded"));
                    continue;
                }
                organisations.push(organisation);
            }
            match self.acceptance(&invitation, version, user, now).await? {
                Acceptance::Accepted(writes) => {
                    claim.writes.extend(writes);
                    claim.accepted.push(invitation.id);
                    claim.joined = claim.joined.or(invitation.organisation_id);
                }
                Acceptance::Skipped(reason, writes) => {
                    claim.writes.extend(writes);
                    claim.skipped.push((invitation.id, reason));
                }
            }
        }
        Ok(claim)
    }

    /// What accepting `invitation` for `user` writes.
    async fn acceptance(
        &self,
        invitation: &Invitation,
        version: u64,
        user: &User,
        now: Timestamp,
    ) -> DomainResult<Acceptance> {
        let accepted = close(invitation, version, InvitationStatus::Accepted, Some(user));
        let Some(organisation_id) = invitation.organisation_id else {
            return Ok(Acceptance::Accepted(accepted));
        };
        let store = &self.identity.store;
        let found = store
            .batch_get(&[
                keys::organisation(organisation_id),
                keys::membership(user.id, organisation_id),
            ])
            .await?;
        let live = found[0]
            .as_ref()
            .map(|item| item.record::<Organisation>().map(|o| (o, item.version)))
            .transpose()?
            .filter(|(organisation, _)| organisation.deleted_at.is_none());
        let Some((organisation, organisation_version)) = live else {
            let revoked = close(invitation, version, InvitationStatus::Revoked, None);
            return Ok(Acceptance::Skipped("organisation_gone", revoked));
        };
        if found[1].is_some() {
            return Ok(Acceptance::Skipped("already_a_member", accepted));
        }
        let pending_owner = organisation.status == OrganisationStatus::PendingOwner;
        // An organisation waiting for its owner gets one: owner and billing admin (T3, T4).
        let roles = if pending_owner {
            pending_owner_roles()
        } else {
            invitation.roles.clone()
        };
        let membership = Membership {
            user_id: user.id,
            organisation_id,
            organisation_name: organisation.name.clone(),
            parent_organisation_id: organisation.parent_organisation_id,
            organisation_kind: organisation.kind,
            roles: roles.clone(),
            active: true,
            accepted: true,
            joined_at: now,
            member_email: Some(user.email.clone()),
            member_name: user.name.clone(),
            member_kind: user.kind,
        };
        let mut writes = accepted;
        writes.push(Write::Put {
            item: Item::from_record(keys::membership(user.id, organisation_id), &membership)
                .with_gsi1(keys::membership_by_organisation(organisation_id, user.id)),
            condition: Some(Condition::NotExists),
        });
        let mut update =
            Update::new(keys::organisation(organisation_id)).when(Condition::VersionIs(organisation_version));
        if pending_owner {
            // The first owner to be proven becomes the subscriber (T3, T7).
            update = update
                .set("status", json!(OrganisationStatus::Active))
                .set("billing_subscriber_id", json!(user.id))
                .set("pending_owner_email", serde_json::Value::Null);
        }
        writes.push(Write::Update(counts_update(update, &organisation, |c| {
            c.members += 1;
            c.owners += i64::from(roles.contains(&Role::Owner));
            c.billing_admins += i64::from(roles.contains(&Role::BillingAdmin));
        })));
        Ok(Acceptance::Accepted(writes))
    }
}

impl Claim {
    /// Revokes `invitations`: those a previous registrant bound, which end with them.
    pub(super) fn revoke(&mut self, invitations: &[(Invitation, u64)]) {
        for (invitation, version) in invitations {
            self.writes
                .extend(close(invitation, *version, InvitationStatus::Revoked, None));
            self.skipped.push((invitation.id, "previous_registrant"));
        }
    }

    /// What became of the presented `invitation` in this claim.
    pub(super) fn report(&self, invitation: &Invitation) -> InvitationReport {
        if self.accepted.contains(&invitation.id) {
            return InvitationReport {
                applied: true,
                invitation_id: Some(invitation.id),
                organisation_id: invitation.organisation_id,
                code: None,
                detail: None,
            };
        }
        let (code, detail) = match self.skipped.iter().find(|(id, _)| *id == invitation.id) {
            Some((_, "organisation_gone")) => ("organisation_gone", "the organisation no longer exists"),
            Some((_, "already_a_member")) => ("already_a_member", "you are already a member"),
            Some(_) => (
                "invitation_superseded",
                "a newer invitation to the same organisation replaced it",
            ),
            None => (
                "too_many_invitations",
                "too many invitations at once; it is still pending",
            ),
        };
        InvitationReport {
            invitation_id: Some(invitation.id),
            organisation_id: invitation.organisation_id,
            ..InvitationReport::not_applied(code, detail)
        }
    }
}

/// An invitation as read, with its version.
pub(super) type Read = (Invitation, u64);

/// Invitations addressed to the address, and those a registrant bound to it with a token for
/// their own address.
pub(super) fn bound_apart(invitations: Vec<Read>) -> (Vec<Read>, Vec<Read>) {
    invitations
        .into_iter()
        .partition(|(invitation, _)| invitation.bound_to.is_none())
}

/// The writes that close a pending invitation (accepted by `by`, or revoked): its status,
/// conditioned on the version read, and its expiry entry.
pub(super) fn close(invitation: &Invitation, version: u64, status: InvitationStatus, by: Option<&User>) -> Vec<Write> {
    let mut update = Update::new(keys::invitation(invitation.id))
        .set("status", json!(status))
        .when(Condition::All(vec![
            Condition::VersionIs(version),
            Condition::AttributeEquals("status".into(), json!(InvitationStatus::Pending)),
        ]));
    if let Some(user) = by {
        update = update.set("accepted_by", json!(user.id));
    }
    vec![
        Write::Update(update),
        Write::Delete {
            key: keys::invitation_expiry(invitation.expires_at.unix_seconds(), invitation.id),
            condition: None,
        },
    ]
}

/// A failed attempt at a registration or proof: final, or worth another go after a lost race.
pub(super) enum Retry {
    Again,
    Fail(DomainError),
}

impl From<DomainError> for Retry {
    fn from(error: DomainError) -> Self {
        Retry::Fail(error)
    }
}

impl From<StoreError> for Retry {
    fn from(error: StoreError) -> Self {
        Retry::Fail(error.into())
    }
}

/// An e-mailed link that proves a mailbox.
#[derive(Clone, Copy)]
enum Proof<'a> {
    Confirmation { token: &'a str, password: &'a str },
    Reset { token: &'a str, password: &'a str },
}
