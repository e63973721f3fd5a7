//! Who a rule e-mails (SIM rules, alert rules): members of the rule's organisation holding
//! one of its roles, and the members it names — each only if their address is confirmed,
//! they are not suspended, the member is active and they have not opted out of alert e-mail.

use crate::error::DomainResult;
use crate::identity::{Access, Membership, Registration, Role, User};
use crate::ids::{OrganisationId, UserId};
use crate::keys;
use crate::store::{Index, Query, SortCondition, Store};
use crate::tenancy::parse_roles;
use crate::validation::Collector;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// Users a rule names at most.
pub const MAX_RULE_USERS: usize = 20;
/// E-mails one state change sends at most, so the change and its e-mails stay one
/// transaction of at most 100 writes.
pub const MAX_RECIPIENTS: usize = 90;

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
        if self.is_empty() {
            return Ok(vec![]);
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
        let mut named: Vec<UserId> = Vec::new();
        for item in &members {
            let member: Membership = item.record()?;
            let chosen =
                self.user_ids.contains(&member.user_id) || member.roles.iter().any(|role| self.roles.contains(role));
            let staff = member.roles.iter().any(|role| *role != Role::Member);
            let concerned = staff || end_user == Some(member.user_id);
            if chosen && concerned && member.active && named.len() < MAX_RECIPIENTS && !named.contains(&member.user_id)
            {
                named.push(member.user_id);
            }
        }
        let users = store
            .batch_get(&named.iter().map(|user| keys::user(*user)).collect::<Vec<_>>())
            .await?;
        let mut recipients = Vec::new();
        for item in users.into_iter().flatten() {
            let user: User = item.record()?;
            if user.registration == Registration::Registered && user.access == Access::Active && user.alert_emails {
                recipients.push(user);
            }
        }
        Ok(recipients)
    }
}
