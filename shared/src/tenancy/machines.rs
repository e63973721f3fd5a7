//! Machine users and their API keys (SPEC §4, seed 003's integrator). Owners create machines
//! in their organisation; a machine holds at most `operator` (T4), has its own personal
//! organisation like every user (T2), and authenticates with API keys that are shown once and
//! stored only as digests.

use super::access::authorize;
use super::grants::ManageMembers;
use super::members::MemberView;
use super::organisations::counts_update;
use super::{Tenancy, with_retries};
use crate::accounts::{Email, OrganisationKind, Role, UserKind};
use crate::audit::{AuditEvent, RequestContext};
use crate::error::{DomainError, DomainResult};
use crate::identity::{
    API_KEY_PREFIX, Access, ApiKey, EmailClaim, Membership, Organisation, Principal, Registration, User,
};
use crate::ids::{ApiKeyId, OrganisationId, UserId};
use crate::keys;
use crate::store::{Condition, Index, Item, Query, Update, Write};
use crate::time::Timestamp;
use crate::unit_of_work::UnitOfWork;
use crate::validation::{MAX_NAME_CHARS, ValidationErrors};
use serde::Serialize;
use serde_json::json;
use std::collections::BTreeSet;

/// Characters of a key shown as its recognisable prefix.
const SHOWN_PREFIX_CHARS: usize = 12;

/// A new API key: the only time its value is shown.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct IssuedApiKey {
    #[serde(flatten)]
    pub key: ApiKeyView,
    pub key_value: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ApiKeyView {
    pub id: ApiKeyId,
    pub machine_id: UserId,
    pub name: String,
    pub prefix: String,
    pub created_at: Timestamp,
    pub expires_at: Option<Timestamp>,
}

impl From<ApiKey> for ApiKeyView {
    fn from(key: ApiKey) -> Self {
        Self {
            id: key.id,
            machine_id: key.machine_id,
            name: key.name,
            prefix: key.prefix,
            created_at: key.created_at,
            expires_at: key.expires_at,
        }
    }
}

pub fn parse_machine_name(name: &str) -> Result<String, ValidationErrors> {
    crate::validation::free_text("name", name, MAX_NAME_CHARS)
}

impl Tenancy {
    /// Creates a machine user that is a member of `organisation_id` with `roles` (default:
    /// `viewer` on a root, `member` on a company).
    pub async fn create_machine(
        &self,
        principal: &Principal,
        context: &RequestContext,
        organisation_id: OrganisationId,
        name: String,
        roles: Option<BTreeSet<Role>>,
    ) -> DomainResult<MemberView> {
        with_retries(|| async {
            let access = authorize::<ManageMembers>(&*self.store, principal, organisation_id).await?;
            let organisation = access.organisation();
            if organisation.kind == OrganisationKind::Personal {
                return Err(DomainError::conflict(
                    "personal_organisation",
                    "a personal organisation has no other members (T2)",
                ));
            }
            let is_root = organisation.parent_organisation_id.is_none();
            let default = if is_root { Role::Viewer } else { Role::Member };
            let roles = roles.clone().unwrap_or_else(|| BTreeSet::from([default, Role::Member]));
            super::roles::check_roles(&roles, UserKind::Machine, is_root)?;
            let roles: Vec<Role> = roles.into_iter().collect();
            let now = self.now();
            let (machine, mut writes) = new_machine(organisation, &name, &roles, now);
            let mut counts = organisation.counts;
            counts.members += 1;
            let update = Update::new(keys::organisation(organisation_id)).when(Condition::VersionIs(access.version()));
            writes.push(Write::Update(counts_update(update, organisation, |c| *c = counts)));
            let event = AuditEvent::by(principal.actor())
                .did("machine.created")
                .on("user", machine.id)
                .in_organisation(organisation_id)
                .changes(json!({ "name": name, "roles": roles }))
                .at(now, context);
            UnitOfWork::new()
                .writes(writes)
                .audit(event)
                .commit(&*self.store)
                .await?;
            Ok(MemberView {
                user_id: machine.id,
                email: None,
                name: machine.name,
                kind: UserKind::Machine,
                roles,
                active: true,
                accepted: true,
                joined_at: now,
                billing_subscriber: false,
            })
        })
        .await
    }

    /// The machine, checked to be managed by an organisation the caller owns.
    async fn managed_machine(&self, principal: &Principal, machine_id: UserId) -> DomainResult<User> {
        let machine: User = self
            .store
            .get(&keys::user(machine_id))
            .await?
            .ok_or(DomainError::NotFound)?
            .record()?;
        let (UserKind::Machine, Some(owner)) = (machine.kind, machine.owner_organisation_id) else {
            return Err(DomainError::NotFound);
        };
        authorize::<ManageMembers>(&*self.store, principal, owner).await?;
        Ok(machine)
    }

    /// Issues an API key for a machine; its value is in the answer and nowhere else.
    pub async fn create_api_key(
        &self,
        principal: &Principal,
        context: &RequestContext,
        machine_id: UserId,
        name: String,
        expires_at: Option<Timestamp>,
    ) -> DomainResult<IssuedApiKey> {
        let machine = self.managed_machine(principal, machine_id).await?;
        let now = self.now();
        if expires_at.is_some_and(|at| at <= now) {
            return Err(ValidationErrors::single("expires_at", "in_the_past", "an expiry lies in the future").into());
        }
        let value = format!("{API_KEY_PREFIX}{}", self.secrets.token());
        let digest = self.secrets.digest(&value);
        let record = ApiKey {
            id: ApiKeyId::generate(),
            machine_id,
            name,
            prefix: value.chars().take(SHOWN_PREFIX_CHARS).collect(),
            digest: digest.clone(),
            created_at: now,
            expires_at,
        };
        let expiring = |item: Item| match expires_at {
            Some(at) => item.expiring_at(at.unix_seconds()),
            None => item,
        };
        let changes = json!({ "key_id": record.id, "name": record.name, "expires_at": expires_at });
        let event = AuditEvent::by(principal.actor())
            .did("api_key.created")
            .on("user", machine_id)
            .in_organisation(machine.owner_organisation_id)
            .changes(changes)
            .at(now, context);
        UnitOfWork::new()
            .write(Write::Put {
                item: expiring(Item::from_record(keys::api_key(&digest), &record)),
                condition: Some(Condition::NotExists),
            })
            .write(Write::Put {
                item: expiring(Item::from_record(keys::machine_key(machine_id, record.id), &record)),
                condition: Some(Condition::NotExists),
            })
            .audit(event)
            .commit(&*self.store)
            .await?;
        Ok(IssuedApiKey {
            key: record.into(),
            key_value: value,
        })
    }

    pub async fn api_keys(&self, principal: &Principal, machine_id: UserId) -> DomainResult<Vec<ApiKeyView>> {
        self.managed_machine(principal, machine_id).await?;
        let page = self
            .store
            .query(&Query::new(Index::Table, keys::machine_keys_partition(machine_id)).limit(crate::store::MAX_PAGE))
            .await?;
        page.items
            .iter()
            .map(|item| Ok(item.record::<ApiKey>()?.into()))
            .collect()
    }

    /// Revokes a key at once: both its records go in one transaction.
    pub async fn revoke_api_key(
        &self,
        principal: &Principal,
        context: &RequestContext,
        machine_id: UserId,
        key_id: ApiKeyId,
    ) -> DomainResult<()> {
        let machine = self.managed_machine(principal, machine_id).await?;
        let listed = keys::machine_key(machine_id, key_id);
        let record: ApiKey = self.store.get(&listed).await?.ok_or(DomainError::NotFound)?.record()?;
        let now = self.now();
        let event = AuditEvent::by(principal.actor())
            .did("api_key.revoked")
            .on("user", machine_id)
            .in_organisation(machine.owner_organisation_id)
            .changes(json!({ "key_id": key_id }))
            .at(now, context);
        UnitOfWork::new()
            .write(Write::Delete {
                key: listed,
                condition: Some(Condition::Exists),
            })
            .write(Write::Delete {
                key: keys::api_key(&record.digest),
                condition: None,
            })
            .audit(event)
            // Revoked meanwhile.
            .otherwise(DomainError::NotFound)
            .commit(&*self.store)
            .await
    }
}

/// A machine user with its personal organisation (T2) and its membership of `organisation`,
/// which is its default (T11), and the writes that create them.
fn new_machine(organisation: &Organisation, name: &str, roles: &[Role], now: Timestamp) -> (User, Vec<Write>) {
    let id = UserId::generate();
    let personal_id = OrganisationId::generate();
    // Machines have no mailbox; a reserved `.invalid` address (RFC 2606) keeps T10's index whole.
    let email = Email::parse(&format!("machine-{id}@machines.stratum.invalid")).expect("a well-formed address");
    let machine = User {
        id,
        email: email.clone(),
        name: name.to_owned(),
        kind: UserKind::Machine,
        registration: Registration::Registered,
        access: Access::Active,
        platform_roles: vec![],
        password_hash: None,
        personal_organisation_id: personal_id,
        default_organisation_id: organisation.id,
        owner_organisation_id: Some(organisation.id),
        sessions_ended_at: None,
        alert_emails: true,
        created_at: now,
        updated_at: now,
    };
    let personal = Organisation::personal(personal_id, name, None, now);
    let membership = |organisation: &Organisation, roles: Vec<Role>| Membership {
        user_id: id,
        organisation_id: organisation.id,
        organisation_name: organisation.name.clone(),
        parent_organisation_id: organisation.parent_organisation_id,
        organisation_kind: organisation.kind,
        roles,
        active: true,
        accepted: true,
        joined_at: now,
        member_email: None,
        member_name: name.to_owned(),
        member_kind: UserKind::Machine,
    };
    let create = |item: Item| Write::Put {
        item,
        condition: Some(Condition::NotExists),
    };
    let writes = vec![
        create(Item::from_record(keys::user(id), &machine)),
        create(Item::from_record(keys::email(&email), &EmailClaim { user_id: id })),
        create(Item::from_record(keys::organisation(personal_id), &personal)),
        create(
            Item::from_record(
                keys::membership(id, personal_id),
                &membership(&personal, vec![Role::Member]),
            )
            .with_gsi1(keys::membership_by_organisation(personal_id, id)),
        ),
        create(
            Item::from_record(
                keys::membership(id, organisation.id),
                &membership(organisation, roles.to_vec()),
            )
            .with_gsi1(keys::membership_by_organisation(organisation.id, id)),
        ),
    ];
    (machine, writes)
}
