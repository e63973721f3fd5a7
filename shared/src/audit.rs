//! The audit trail (SPEC §10): every change writes an event in the same transaction as the
//! change. Events are append-only; an organisation's owners read its trail, platform admins
//! read everything.

use crate::identity::{Principal, UserKind};
use crate::ids::{AuditEventId, OrganisationId, UserId};
use crate::keys;
use crate::store::{Condition, Item, Write};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Where a request came from; carried into every audit event it causes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestContext {
    pub request_id: Option<String>,
    pub source_address: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ActorKind {
    User,
    Machine,
    /// The platform itself (bootstrap, scheduled housekeeping).
    System,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Actor {
    pub kind: ActorKind,
    pub user_id: Option<UserId>,
    /// The API key a machine authenticated with.
    pub api_key_id: Option<String>,
}

impl Actor {
    pub fn of(principal: &Principal) -> Self {
        let kind = match principal.user.kind {
            UserKind::Person => ActorKind::User,
            UserKind::Machine => ActorKind::Machine,
        };
        Self {
            kind,
            user_id: Some(principal.user.id),
            api_key_id: principal.api_key_id.clone(),
        }
    }

    pub fn user(user_id: UserId) -> Self {
        Self {
            kind: ActorKind::User,
            user_id: Some(user_id),
            api_key_id: None,
        }
    }

    pub fn system() -> Self {
        Self {
            kind: ActorKind::System,
            user_id: None,
            api_key_id: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Target {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AuditEvent {
    pub id: AuditEventId,
    pub at: Timestamp,
    pub actor: Actor,
    pub organisation_id: Option<OrganisationId>,
    pub action: String,
    pub target: Target,
    /// Changed fields and their new values; secrets are redacted.
    pub changes: Map<String, Value>,
    pub request_id: Option<String>,
    pub source_address: Option<String>,
}

/// Field names whose values never enter the trail.
const SECRET_MARKERS: [&str; 5] = ["password", "secret", "token", "key", "reference"];

/// `changes` with every secret-looking field's value replaced, at any depth.
pub fn redact(changes: Map<String, Value>) -> Map<String, Value> {
    changes
        .into_iter()
        .map(|(name, value)| {
            let lower = name.to_lowercase();
            let value = if SECRET_MARKERS.iter().any(|marker| lower.contains(marker)) {
                Value::String("[redacted]".into())
            } else if let Value::Object(inner) = value {
                Value::Object(redact(inner))
            } else {
                value
            };
            (name, value)
        })
        .collect()
}

impl AuditEvent {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        actor: Actor,
        organisation_id: Option<OrganisationId>,
        action: &str,
        target_kind: &str,
        target_id: impl ToString,
        changes: Value,
        context: &RequestContext,
        at: Timestamp,
    ) -> Self {
        let changes = match changes {
            Value::Object(map) => redact(map),
            Value::Null => Map::new(),
            other => Map::from_iter([("value".to_owned(), other)]),
        };
        Self {
            id: AuditEventId::generate(),
            at,
            actor,
            organisation_id,
            action: action.to_owned(),
            target: Target {
                kind: target_kind.to_owned(),
                id: target_id.to_string(),
            },
            changes,
            request_id: context.request_id.clone(),
            source_address: context.source_address.clone(),
        }
    }

    /// The write that appends this event, for the transaction of the change it records.
    pub fn write(&self) -> Write {
        let item = Item::from_record(keys::audit_event(self.organisation_id, self.id), self)
            .with_gsi2(keys::audit_event_everywhere(self.id));
        Write::Put {
            item,
            condition: Some(Condition::NotExists),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secrets_are_redacted_at_any_depth() {
        let Value::Object(changes) = json!({
            "name": "ABC",
            "stripe": { "secret_key": "sk_live_123", "publishable_key": "pk_live_1", "mode": "live" },
            "password_hash": "$argon2id$...",
        }) else {
            unreachable!()
        };
        let redacted = Value::Object(redact(changes));
        assert_eq!(redacted["name"], "ABC");
        assert_eq!(redacted["stripe"]["mode"], "live");
        assert_eq!(redacted["stripe"]["secret_key"], "[redacted]");
        assert_eq!(redacted["stripe"]["publishable_key"], "[redacted]");
        assert_eq!(redacted["password_hash"], "[redacted]");
    }
}
