//! The audit trail (SPEC §10): every change writes an event in the same transaction as the
//! change. Events are append-only; an organisation's owners read its trail, platform admins
//! read everything.

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

/// The events a change records, built in the order a sentence says them:
///
/// ```
/// # use stratum_shared::audit::{Actor, AuditEvent, RequestContext};
/// # use stratum_shared::ids::UserId;
/// # let (user_id, now) = (UserId::generate(), stratum_shared::time::Timestamp::new(chrono::Utc::now()));
/// let event = AuditEvent::by(Actor::system())
///     .did("member.roles_changed")
///     .on("user", user_id)
///     .changes(serde_json::json!({ "roles": ["viewer"] }))
///     .at(now, &RequestContext::default());
/// ```
///
/// The actor, the action and the target are required (each step is its own type, so a draft
/// without them does not compile); the organisation (none: the platform's own trail) and the
/// changes (none) are optional. Secret-looking changes are redacted when the event is made.
impl AuditEvent {
    /// Who did it.
    pub fn by(actor: Actor) -> AuditActor {
        AuditActor { actor }
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

/// An audit event with its actor: next, what they did.
#[derive(Debug, Clone)]
pub struct AuditActor {
    actor: Actor,
}

impl AuditActor {
    /// The action, a stable dotted name (`member.roles_changed`).
    pub fn did(self, action: &str) -> AuditAction {
        AuditAction {
            actor: self.actor,
            action: action.to_owned(),
        }
    }
}

/// An audit event with its actor and action: next, what it was done to.
#[derive(Debug, Clone)]
pub struct AuditAction {
    actor: Actor,
    action: String,
}

impl AuditAction {
    /// The target: its kind (`user`, `organisation`, `invitation`…) and id.
    pub fn on(self, kind: &str, id: impl ToString) -> AuditDraft {
        AuditDraft {
            actor: self.actor,
            action: self.action,
            target: Target {
                kind: kind.to_owned(),
                id: id.to_string(),
            },
            organisation_id: None,
            changes: Map::new(),
        }
    }
}

/// An audit event lacking only its time and request.
#[derive(Debug, Clone)]
pub struct AuditDraft {
    actor: Actor,
    action: String,
    target: Target,
    organisation_id: Option<OrganisationId>,
    changes: Map<String, Value>,
}

impl AuditDraft {
    /// The trail it is filed in; without one, the platform's own.
    pub fn in_organisation(self, organisation_id: impl Into<Option<OrganisationId>>) -> Self {
        Self {
            organisation_id: organisation_id.into(),
            ..self
        }
    }

    /// What changed: an object's fields (secrets redacted at any depth), nothing for `null`,
    /// or any other value as `{"value": …}`.
    pub fn changes(self, changes: Value) -> Self {
        let changes = match changes {
            Value::Object(map) => redact(map),
            Value::Null => Map::new(),
            other => Map::from_iter([("value".to_owned(), other)]),
        };
        Self { changes, ..self }
    }

    /// The event, happening `at` in the request `context` describes.
    pub fn at(self, at: Timestamp, context: &RequestContext) -> AuditEvent {
        AuditEvent {
            id: AuditEventId::generate(),
            at,
            actor: self.actor,
            organisation_id: self.organisation_id,
            action: self.action,
            target: self.target,
            changes: self.changes,
            request_id: context.request_id.clone(),
            source_address: context.source_address.clone(),
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

    #[test]
    fn a_built_event_is_stored_as_the_record_format_says() {
        let (user, organisation) = (UserId::generate(), OrganisationId::generate());
        let now = Timestamp::new(chrono::Utc::now());
        let context = RequestContext {
            request_id: Some("req-1".into()),
            source_address: Some("192.0.2.1".into()),
        };
        let event = AuditEvent::by(Actor::user(user))
            .did("member.roles_changed")
            .on("user", user)
            .in_organisation(organisation)
            .changes(json!({ "roles": ["viewer"], "api_key": "stm_x" }))
            .at(now, &context);
        let stored = serde_json::to_string(&event).unwrap();
        let expected = format!(
            concat!(
                r#"{{"id":"{}","at":{},"actor":{{"kind":"user","user_id":"{}","api_key_id":null}},"#,
                r#""organisation_id":"{}","action":"member.roles_changed","target":{{"type":"user","id":"{}"}},"#,
                r#""changes":{{"api_key":"[redacted]","roles":["viewer"]}},"request_id":"req-1","source_address":"192.0.2.1"}}"#
            ),
            event.id,
            serde_json::to_string(&now).unwrap(),
            user,
            organisation,
            user
        );
        assert_eq!(stored, expected);
    }

    #[test]
    fn changes_that_are_not_an_object_are_kept_as_a_value_and_null_as_nothing() {
        let event = |changes| {
            AuditEvent::by(Actor::system())
                .did("platform.settings_changed")
                .on("platform", "settings")
                .changes(changes)
                .at(Timestamp::new(chrono::Utc::now()), &RequestContext::default())
        };
        assert!(event(Value::Null).changes.is_empty());
        assert_eq!(Value::Object(event(json!(3)).changes), json!({ "value": 3 }));
        let unchanged = AuditEvent::by(Actor::system())
            .did("x")
            .on("platform", "settings")
            .at(Timestamp::new(chrono::Utc::now()), &RequestContext::default());
        assert!(unchanged.changes.is_empty());
        assert_eq!(unchanged.organisation_id, None);
    }
}
