//! A membership someone else gave (issue 21, item 1). A registered person an owner adds to an
//! organisation (the seeds' "added at once") is a member at once, but hears nothing of the
//! organisation's rules and alerts until they accept. The notice that tells them carries two
//! links, one to accept and one to leave and block the organisation for good: a blocked
//! organisation (a root and its companies) can never add them again.
//!
//! The links carry a token (256 bits, stored as a digest, valid for [`NOTICE_TOKEN_DAYS`]):
//! following one proves the mailbox, as a confirmation link does, so neither needs a sign-in.
//! Both actions can be taken again (accepting twice accepts; blocking after leaving blocks).

use super::blocks::block;
use super::members::Departure;
use super::{Tenancy, ViewOrganisation, authorize, with_retries};
use crate::audit::{Actor, AuditEvent, RequestContext};
use crate::error::{DomainError, DomainResult};
use crate::identity::{Membership, Organisation, Principal};
use crate::ids::{OrganisationId, UserId};
use crate::keys;
use crate::ports::Secrets;
use crate::store::{Condition, Item, Update, Write};
use crate::time::Timestamp;
use crate::unit_of_work::UnitOfWork;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// How long the links of a "you were added" notice work; after that the member accepts or
/// blocks in the app.
pub const NOTICE_TOKEN_DAYS: i64 = 30;

/// What a notice's token stands for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct NoticeToken {
    user_id: UserId,
    organisation_id: OrganisationId,
    expires_at: Timestamp,
}

/// `POST /api/membership/accept` and `…/block`: the token of the notice's link.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = MembershipNoticeRequest)]
pub struct NoticeTokenPayload {
    /// The `token` of the notice's link.
    #[schema(min_length = 1, max_length = 512)]
    pub token: String,
}

/// A new notice token for `user`'s membership of `organisation`: the token for the links, and
/// the write that keeps its digest, for the transaction that adds them.
pub(crate) fn notice_token(
    secrets: &dyn Secrets,
    user: UserId,
    organisation: OrganisationId,
    now: Timestamp,
) -> (String, Write) {
    let token = secrets.token();
    let expires_at = now.plus(chrono::Duration::days(NOTICE_TOKEN_DAYS));
    let record = NoticeToken {
        user_id: user,
        organisation_id: organisation,
        expires_at,
    };
    let item = Item::from_record(keys::membership_notice(&secrets.digest(&token)), &record)
        .expiring_at(expires_at.unix_seconds());
    (
        token,
        Write::Put {
            item,
            condition: Some(Condition::NotExists),
        },
    )
}

/// The root a membership of `organisation` belongs to: blocking one blocks the whole tree.
fn root_of(organisation: &Organisation) -> OrganisationId {
    organisation.parent_organisation_id.unwrap_or(organisation.id)
}

impl Tenancy {
    /// The caller accepts a membership someone else gave them.
    pub async fn accept_membership(
        &self,
        principal: &Principal,
        context: &RequestContext,
        organisation_id: OrganisationId,
    ) -> DomainResult<()> {
        authorize::<ViewOrganisation>(&*self.store, principal, organisation_id).await?;
        if principal.active_membership(organisation_id).is_none() {
            // Roles through the root are no membership of a company.
            return Err(DomainError::NotFound);
        }
        self.accept(principal.actor(), context, principal.user.id, organisation_id)
            .await
    }

    /// The caller leaves an organisation and blocks it (and its root's other companies) from
    /// adding them again.
    pub async fn block_organisation(
        &self,
        principal: &Principal,
        context: &RequestContext,
        organisation_id: OrganisationId,
    ) -> DomainResult<()> {
        with_retries(|| async {
            let access = authorize::<ViewOrganisation>(&*self.store, principal, organisation_id).await?;
            if principal.active_membership(organisation_id).is_none() {
                return Err(DomainError::NotFound);
            }
            let root = root_of(access.organisation());
            let leaving = Departure::Leaving {
                access: &access,
                user_id: principal.user.id,
            };
            let blocks = vec![block(principal.user.id, root, self.now())];
            self.end_membership(Some(principal), context, leaving, blocks).await
        })
        .await
    }

    /// Accepts the membership a notice's token names.
    pub async fn accept_by_notice(&self, context: &RequestContext, token: &str) -> DomainResult<()> {
        let notice = self.notice(token).await?;
        self.accept(
            Actor::user(notice.user_id),
            context,
            notice.user_id,
            notice.organisation_id,
        )
        .await
    }

    /// Leaves the organisation a notice's token names and blocks it; a member who left
    /// already is still blocked.
    pub async fn block_by_notice(&self, context: &RequestContext, token: &str) -> DomainResult<()> {
        let notice = self.notice(token).await?;
        with_retries(|| async {
            let item = self
                .store
                .get(&keys::organisation(notice.organisation_id))
                .await?
                .ok_or(DomainError::NotFound)?;
            let organisation: Organisation = item.record()?;
            let blocks = vec![block(notice.user_id, root_of(&organisation), self.now())];
            let departure = Departure::ByNotice {
                organisation: &organisation,
                version: item.version,
                user_id: notice.user_id,
            };
            match self.end_membership(None, context, departure, blocks.clone()).await {
                // Gone already (they left, or were removed): the block still stands.
                Err(DomainError::NotFound) => {
                    let event = AuditEvent::by(Actor::user(notice.user_id))
                        .did("organisation.blocked")
                        .on("organisation", root_of(&organisation))
                        .in_organisation(organisation.id)
                        .at(self.now(), context);
                    UnitOfWork::new().writes(blocks).audit(event).commit(&*self.store).await
                }
                other => other,
            }
        })
        .await
    }

    /// The notice a token names: 404 if none, 410 once expired.
    async fn notice(&self, token: &str) -> DomainResult<NoticeToken> {
        let notice: NoticeToken = self
            .store
            .get(&keys::membership_notice(&self.secrets.digest(token)))
            .await?
            .ok_or(DomainError::NotFound)?
            .record()?;
        if notice.expires_at <= self.now() {
            return Err(DomainError::gone(
                "token_expired",
                "the link has expired; accept or leave the organisation in the app",
            ));
        }
        Ok(notice)
    }

    async fn accept(
        &self,
        actor: Actor,
        context: &RequestContext,
        user: UserId,
        organisation: OrganisationId,
    ) -> DomainResult<()> {
        let key = keys::membership(user, organisation);
        let membership: Membership = self.store.get(&key).await?.ok_or(DomainError::NotFound)?.record()?;
        if membership.accepted {
            return Ok(());
        }
        let event = AuditEvent::by(actor)
            .did("member.accepted")
            .on("user", user)
            .in_organisation(organisation)
            .at(self.now(), context);
        UnitOfWork::new()
            .write_or(
                Write::Update(Update::new(key).set("accepted", json!(true)).when(Condition::Exists)),
                DomainError::NotFound,
            )
            .audit(event)
            .commit(&*self.store)
            .await
    }
}
