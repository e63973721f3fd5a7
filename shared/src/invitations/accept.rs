//! Registration, with an invitation token or without (SPEC §5). A stale token never blocks
//! the sign-up. The invitation's own token for the invited address proves the mailbox, so the
//! invitations waiting for it are claimed at once (see [`super::claim`]); a token used with
//! another address binds its invitation to the registrant, claimed when they confirm; without
//! proof nothing is claimed until the address is confirmed.

use super::claim::{ATTEMPTS, InvitationReport, Retry, bound_apart};
use super::{Invitation, InvitationStatus, Invitations};
use crate::audit::{Actor, RequestContext};
use crate::error::{DomainError, DomainResult};
use crate::identity::register::{NewPerson, new_person};
use crate::identity::{Access, NewRegistration, Registration, User};
use crate::keys;
use crate::limits::Budget;
use crate::store::{Condition, Item, Update, Write};
use crate::time::Timestamp;
use crate::unit_of_work::UnitOfWork;
use serde_json::json;

/// Registrations one source makes per hour (each one mails a new address): enough for an
/// office behind one address, too few to mass-produce accounts or mail.
pub const REGISTRATIONS_PER_SOURCE: Budget = Budget {
    name: "registrations",
    per_window: 100,
    window_seconds: 3600,
    code: "too_many_registrations",
};

/// A registration: the new (or claimed) user, and what became of the token it carried.
#[derive(Debug, Clone)]
pub struct AcceptedRegistration {
    pub user: User,
    pub invitation: Option<InvitationReport>,
}

impl Invitations {
    /// Registers a person by password, with an invitation token or without. The token never
    /// blocks the sign-up: an unknown, expired, revoked or used one registers the person
    /// anyway (personal organisation only) and the answer says why it was not applied.
    pub async fn register(
        &self,
        registration: NewRegistration,
        invitation_token: Option<&str>,
        context: &RequestContext,
    ) -> DomainResult<AcceptedRegistration> {
        if let Some(source) = &context.source_address {
            REGISTRATIONS_PER_SOURCE
                .require(&*self.identity.store, source, self.now())
                .await?;
        }
        let hash = self.identity.hasher.hash(&registration.password).await;
        for attempt in 1..=ATTEMPTS {
            match self.try_register(&registration, &hash, invitation_token, context).await {
                // Another registration or acceptance moved something this one read: go again,
                // on what it left (a used token is then reported, not fatal).
                Err(Retry::Again) if attempt < ATTEMPTS => continue,
                Err(Retry::Again) => {
                    return Err(DomainError::conflict(
                        "concurrent_change",
                        "the address or invitation changed meanwhile; try again",
                    ));
                }
                Err(Retry::Fail(error)) => return Err(error),
                Ok(accepted) => return Ok(accepted),
            }
        }
        unreachable!("the last attempt returns")
    }

    async fn try_register(
        &self,
        registration: &NewRegistration,
        hash: &str,
        invitation_token: Option<&str>,
        context: &RequestContext,
    ) -> Result<AcceptedRegistration, Retry> {
        let presented = match invitation_token {
            Some(token) => Some(self.presented(token).await?),
            None => None,
        };
        let proven = matches!(&presented, Some(Ok((invitation, _))) if invitation.email == registration.email);
        let state = if proven {
            Registration::Registered
        } else {
            Registration::PendingConfirmation
        };
        let now = self.now();
        let taken = || {
            Retry::Fail(DomainError::conflict(
                "email_taken",
                "this e-mail address is already registered",
            ))
        };
        let (mut user, account, claimed) =
            match crate::identity::holder_of(&*self.identity.store, &registration.email).await? {
                Some((holder, _)) if holder.registration == Registration::Registered => return Err(taken()),
                // An unconfirmed registration holds the address until its confirmation link
                // lapses; before that only proof takes it over, so a stranger's registration
                // never locks the real owner of the mailbox out for long.
                Some((holder, _))
                    if holder.registration == Registration::PendingConfirmation
                        && !proven
                        && !self.lapsed(&holder, now) =>
                {
                    return Err(taken());
                }
                Some((holder, version)) => {
                    let mut user = holder;
                    user.name = registration.name.clone();
                    user.password_hash = Some(hash.to_owned());
                    if user.registration == Registration::PendingConfirmation {
                        // A different person from whoever registered before: nothing of
                        // theirs (a suspension included) carries over.
                        user.access = Access::Active;
                    }
                    user.registration = state;
                    user.updated_at = now;
                    (user, Account::Claimed { version }, true)
                }
                None => {
                    let person = new_person(
                        registration.email.clone(),
                        registration.name.clone(),
                        Some(hash.to_owned()),
                        state,
                        vec![],
                        now,
                    );
                    (person.user.clone(), Account::New(Box::new(person)), false)
                }
            };
        // What waits for the address: invitations addressed to it, which only a proof
        // claims, and invitations a previous, unconfirmed registrant of it bound with a token
        // for their own address, which were theirs and end with their registration.
        let (addressed, bound) = if claimed {
            bound_apart(self.pending_for(&user).await?)
        } else {
            (Vec::new(), Vec::new())
        };
        let mut to_claim = if proven { addressed } else { Vec::new() };
        let mut binding = Vec::new();
        let mut proven_by = None;
        let mut report = None;
        match presented {
            Some(Err(not_applied)) => report = Some(not_applied),
            Some(Ok((invitation, version))) if proven => {
                if !to_claim.iter().any(|(pending, _)| pending.id == invitation.id) {
                    to_claim.push((invitation.clone(), version));
                }
                proven_by = Some(invitation);
            }
            // A token for another address came through that mailbox, not this one: the
            // invitation becomes this registrant's, to take effect when they confirm.
            Some(Ok((invitation, version))) => {
                binding.push(bind(&invitation, version, &user));
                report = Some(InvitationReport {
                    invitation_id: Some(invitation.id),
                    organisation_id: invitation.organisation_id,
                    ..InvitationReport::not_applied(
                        "awaiting_confirmation",
                        "the invitation is yours: it takes effect when you confirm your address",
                    )
                });
            }
            None => {}
        }
        let mut claim = self.claim(&user, to_claim, now).await?;
        if let Some(invitation) = &proven_by {
            report = Some(claim.report(invitation));
        }
        claim.revoke(&bound);
        claim.writes.extend(binding);
        if let Some(organisation) = claim.joined {
            user.default_organisation_id = organisation;
        }
        let changes = json!({
            "email": user.email,
            "name": user.name,
            "claimed_invited_user": claimed,
            "proven_by_invitation": proven,
            "accepted_invitations": claim.accepted,
        });
        // Another registration or acceptance moved something this one read: go again.
        let work = UnitOfWork::default().otherwise(Retry::Again);
        let mut work = match account {
            Account::Claimed { version } => work.writes(claimed_account(&user, version)),
            // The new person's e-mail claim: someone registered the address meanwhile.
            Account::New(person) => person.restated(&user).add_to(work, taken()),
        };
        work = work.writes(claim.writes);
        if !proven {
            let (token, mail) = self.identity.confirmation_request(&user, now)?;
            work = work.write(token).outbox(mail);
        }
        work.audit(
            self.identity
                .account_event(Actor::user(user.id), &user, "user.registered", changes, context),
        )
        .commit(&*self.identity.store)
        .await?;
        Ok(AcceptedRegistration {
            user,
            invitation: report,
        })
    }

    /// Whether an unconfirmed registration's confirmation window has passed, so a new
    /// registration of the address may replace it.
    fn lapsed(&self, unconfirmed: &User, now: Timestamp) -> bool {
        unconfirmed
            .updated_at
            .plus(chrono::Duration::hours(self.identity.settings.confirmation_hours))
            <= now
    }

    /// The invitation a presented token names, or why it cannot be applied.
    async fn presented(&self, token: &str) -> DomainResult<Result<(Invitation, u64), InvitationReport>> {
        match self.by_token(token).await {
            Ok(found) => Ok(Ok(found)),
            Err(DomainError::NotFound) => Ok(Err(InvitationReport::not_applied(
                "invitation_not_found",
                "this invitation link is not known; you are registered without it",
            ))),
            Err(DomainError::Gone { code, detail }) => Ok(Err(InvitationReport::not_applied(code, detail))),
            Err(other) => Err(other),
        }
    }
}

/// The write that makes a pending invitation `user`'s (they registered with its token): it
/// moves to their invitations, to be claimed when they confirm, and its token is spent.
fn bind(invitation: &Invitation, version: u64, user: &User) -> Write {
    Write::Update(
        Update::new(keys::invitation(invitation.id))
            .set("bound_to", json!(user.id))
            .set("invited_user_id", json!(user.id))
            .with_gsi2(keys::invitation_of_user(user.id, invitation.id))
            .when(Condition::All(vec![
                Condition::VersionIs(version),
                Condition::AttributeEquals("status".into(), json!(InvitationStatus::Pending)),
            ])),
    )
}

/// The account a registration writes: an existing user it takes over (invited, or an
/// unconfirmed registration that lapsed or is proven), or a new person.
enum Account {
    Claimed { version: u64 },
    New(Box<NewPerson>),
}

/// The writes that take over an existing user's account for `user`, their personal
/// organisation named after them (T2). A put stores the version it is given: the next one,
/// so that a racing registration conditioned on the version it read fails.
fn claimed_account(user: &User, version: u64) -> Vec<Write> {
    let personal = user.personal_organisation_id;
    let mut item = Item::from_record(keys::user(user.id), user);
    item.version = version + 1;
    vec![
        Write::Put {
            item,
            condition: Some(Condition::VersionIs(version)),
        },
        Write::Update(Update::new(keys::organisation(personal)).set("name", user.name.as_str())),
        Write::Update(
            Update::new(keys::membership(user.id, personal))
                .set("organisation_name", user.name.as_str())
                .set("member_name", user.name.as_str()),
        ),
    ]
}
