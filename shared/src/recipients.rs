//! Who a rule e-mails (SIM rules, alert rules): members of the rule's organisation holding
//! one of its roles, and the members it names — each only if their address is confirmed,
//! they are not suspended, the member is active, has accepted a membership someone else gave
//! them (issue 21, item 1), and they have not opted out of alert e-mail. Machine accounts are
//! never e-mailed: their address is a placeholder no mailbox answers.

use crate::accounts::{Role, UserKind};
use crate::error::DomainResult;
use crate::identity::{Access, Membership, Registration, User};
use crate::ids::{OrganisationId, UserId};
use crate::keys;
use crate::ports::Store;
use crate::store::{Index, Query, SortCondition};
use crate::tenancy::parse_roles;
use crate::validation::Collector;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// Users a rule names at most.
pub const MAX_RULE_USERS: usize = 20;
/// People one state change e-mails at most, so the change (up to a handful of alerts of one
/// message, with their audit events) and its e-mails stay one transaction of at most 100
/// writes.
pub const MAX_RECIPIENTS: usize = 50;

/// Who a rule e-mails: members of the rule's organisation holding one of `roles`, and the
/// members named.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Recipients {
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    pub roles: Vec<Role>,
    #[serde(default)]
    pub user_ids: Vec<UserId>,
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecipientsPayload {
    #[serde(default)]
    #[schema(value_type = Option<Vec<String>>)]
    pub roles: Option<Vec<String>>,
    #[serde(default)]
    #[schema(value_type = Option<Vec<UserId>>, max_items = 20)]
    pub user_ids: Option<Vec<String>>,
}

impl Recipients {
    /// The recipients a payload names, its errors collected under `recipients.…`.
    pub fn parse(raw: Option<RecipientsPayload>, errors: &mut Collector) -> Option<Recipients> {
        let raw = raw.unwrap_or_default();
        let roles = raw.roles.as_deref().map_or(Some(BTreeSet::new()), |roles| {
            errors.check(parse_roles(roles).map(|mut set| {
                // `parse_roles` implies `member`; a recipient list names only what was asked.
                if !roles.iter().any(|role| role == "member") {
                    set.remove(&Role::Member);
                }
                set
            }))
        });
        let user_ids: Vec<UserId> = raw
            .user_ids
            .unwrap_or_default()
            .iter()
            .enumerate()
            .filter_map(|(i, id)| errors.check(UserId::parse(id, &format!("recipients.user_ids[{i}]"))))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        if user_ids.len() > MAX_RULE_USERS {
            errors.push(
                "recipients.user_ids",
                "too_many",
                format!("at most {MAX_RULE_USERS} users"),
            );
        }
        Some(Recipients {
            roles: roles?.into_iter().collect(),
            user_ids,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.roles.is_empty() && self.user_ids.is_empty()
    }

    /// The people to e-mail about something of `organisations` (the rule's organisation and,
    /// where it differs, the company the thing is in: roles on a root reach its companies,
    /// SPEC §3) whose end user is `end_user` (an end user, `member` only, hears only about
    /// their own): at most [`MAX_RECIPIENTS`], the first by user id.
    pub async fn resolve(
        &self,
        store: &dyn Store,
        organisations: &[OrganisationId],
        end_user: Option<UserId>,
    ) -> DomainResult<Vec<User>> {
        Ok(Recipients::resolve_each(store, organisations, end_user, &[self])
            .await?
            .remove(0))
    }

    /// [`Recipients::resolve`] for several rules about one thing at once: the members are
    /// read once, and so is each person named by any of them.
    pub async fn resolve_each(
        store: &dyn Store,
        organisations: &[OrganisationId],
        end_user: Option<UserId>,
        lists: &[&Recipients],
    ) -> DomainResult<Vec<Vec<User>>> {
        if lists.iter().all(|list| list.is_empty()) {
            return Ok(lists.iter().map(|_| vec![]).collect());
        }
        let mut members = Vec::new();
        for organisation in organisations {
            let mut cursor = None;
            loop {
                let page = store
                    .query(
                        &Query::new(Index::Gsi1, keys::organisation_index_partition(*organisation))
                            .sort(SortCondition::BeginsWith(keys::MEMBERS_PREFIX.to_owned()))
                            .limit(crate::store::MAX_PAGE)
                            .after(cursor),
                    )
                    .await?;
                members.extend(page.items);
                match page.next {
                    Some(next) => cursor = Some(next),
                    None => break,
                }
            }
        }
        let members = members
            .iter()
            .map(|item| item.record::<Membership>())
            .collect::<Result<Vec<_>, _>>()?;
        let named: Vec<Vec<UserId>> = lists.iter().map(|list| list.choose(&members, end_user)).collect();
        let mut wanted: Vec<UserId> = named.iter().flatten().copied().collect();
        wanted.sort();
        wanted.dedup();
        let users = store
            .batch_get(&wanted.iter().map(|user| keys::user(*user)).collect::<Vec<_>>())
            .await?;
        let mut reachable: Vec<User> = Vec::new();
        for item in users.into_iter().flatten() {
            let user: User = item.record()?;
            if user.kind == UserKind::Person
                && user.registration == Registration::Registered
                && user.access == Access::Active
                && user.alert_emails
            {
                reachable.push(user);
            }
        }
        Ok(named
            .into_iter()
            .map(|ids| {
                ids.iter()
                    .filter_map(|id| reachable.iter().find(|user| user.id == *id).cloned())
                    .collect()
            })
            .collect())
    }

    /// The members this list names (by role or by id) who hear about a thing whose end user
    /// is `end_user`: people (not machines), active, with a membership they accepted, at most
    /// [`MAX_RECIPIENTS`].
    fn choose(&self, members: &[Membership], end_user: Option<UserId>) -> Vec<UserId> {
        let mut named: Vec<UserId> = Vec::new();
        for member in members {
            let chosen =
                self.user_ids.contains(&member.user_id) || member.roles.iter().any(|role| self.roles.contains(role));
            let staff = member.roles.iter().any(|role| *role != Role::Member);
            let concerned = staff || end_user == Some(member.user_id);
            if chosen
                && concerned
                && member.member_kind == UserKind::Person
                && member.active
                && member.accepted
                && named.len() < MAX_RECIPIENTS
                && !named.contains(&member.user_id)
            {
                named.push(member.user_id);
            }
        }
        named
    }
}
