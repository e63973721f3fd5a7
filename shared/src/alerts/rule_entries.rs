//! An alert rule as owners send it (a new rule, a patch) and as a catalogue entry of its root:
//! checked field by field, naming only what is the organisation's.

use crate::alerts::{AlertRule, Comparison, Scope, Severity};
use crate::catalogue::{CatalogueApi, CatalogueEntry, Reference, StoreAndClock};
use crate::error::DomainError;
use crate::ids::{AlertRuleId, OrganisationId};
use crate::recipients::{Recipients, RecipientsPayload};
use crate::store::{Condition as StoreCondition, Key};
use crate::tenancy::ManageDevices;
use crate::time::Timestamp;
use crate::validation::{Collector, MAX_NAME_CHARS, ValidationErrors, free_text};
use crate::{keys, schema};
use serde::Deserialize;

/// `POST …/alert-rules`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = AlertRuleRequest)]
pub struct AlertRulePayload {
    #[schema(schema_with = schema::name_text)]
    pub name: String,
    /// None (or `{}`): every device of the organisation.
    pub scope: Option<Scope>,
    #[schema(minimum = 1, maximum = 255)]
    pub port: u8,
    pub condition: Comparison,
    pub value: f64,
    /// The range's upper end, for `outside` and `inside` only.
    pub value2: Option<f64>,
    #[schema(minimum = 0, maximum = 86_400)]
    pub duration_seconds: Option<u32>,
    /// For `>`, `>=`, `<` and `<=` only: on the safe side of `value`.
    pub clear_value: Option<f64>,
    pub severity: Severity,
    pub recipients: Option<RecipientsPayload>,
    /// Default `true`.
    pub enabled: Option<bool>,
}

/// `PATCH …/alert-rules/{rule_id}`: the fields to change (the rule as changed is checked
/// whole).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = AlertRulePatch)]
pub struct AlertRulePatch {
    #[schema(schema_with = schema::optional_name)]
    pub name: Option<String>,
    pub scope: Option<Scope>,
    #[schema(minimum = 1, maximum = 255)]
    pub port: Option<u8>,
    pub condition: Option<Comparison>,
    pub value: Option<f64>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<f64>)]
    pub value2: Option<Option<f64>>,
    #[schema(minimum = 0, maximum = 86_400)]
    pub duration_seconds: Option<u32>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<f64>)]
    pub clear_value: Option<Option<f64>>,
    pub severity: Option<Severity>,
    pub recipients: Option<RecipientsPayload>,
    pub enabled: Option<bool>,
}

fn present<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(deserializer).map(Some)
}

impl From<AlertRulePayload> for AlertRulePatch {
    fn from(payload: AlertRulePayload) -> Self {
        AlertRulePatch {
            name: Some(payload.name),
            scope: Some(payload.scope.unwrap_or_default()),
            port: Some(payload.port),
            condition: Some(payload.condition),
            value: Some(payload.value),
            value2: Some(payload.value2),
            duration_seconds: Some(payload.duration_seconds.unwrap_or(0)),
            clear_value: Some(payload.clear_value),
            severity: Some(payload.severity),
            recipients: Some(payload.recipients.unwrap_or_default()),
            enabled: Some(payload.enabled.unwrap_or(true)),
        }
    }
}

/// The organisation a device item names in `field`, read without the device type (devices
/// sit above alerts).
fn holder(item: &crate::store::Item, field: &str) -> Option<OrganisationId> {
    item.attribute(field)
        .and_then(|holder| serde_json::from_value(holder.clone()).ok())
}

impl CatalogueEntry for AlertRule {
    /// Through a company, a rule about one device is seen only if the device is the
    /// company's (L2).
    fn seen_by_company(&self, company: OrganisationId) -> Option<Reference> {
        let device = self.scope.device_id?;
        Some(Reference {
            field: "scope.device_id".into(),
            key: keys::device(device),
            fits: Box::new(move |item| holder(item, "company_id") == Some(company)),
            code: "unknown_device",
            message: "no device of this company has this id",
        })
    }

    fn cap() -> Option<crate::limits::Cap> {
        Some(crate::limits::Cap::AlertRules)
    }

    /// A rule names only what is its organisation's: a device of it, an environment of it, a
    /// model that exists, and members of it to e-mail.
    fn references(&self, organisation: OrganisationId) -> Vec<Reference> {
        let mut references = Vec::new();
        if let Some(device) = self.scope.device_id {
            references.push(Reference {
                field: "scope.device_id".into(),
                key: keys::device(device),
                // The device item's holder, read without the device type (devices sit above alerts).
                fits: Box::new(move |item| holder(item, "organisation_id") == Some(organisation)),
                code: "unknown_device",
                message: "no device of this organisation has this id",
            });
        }
        if let Some(environment) = self.scope.environment_id {
            references.push(Reference {
                field: "scope.environment_id".into(),
                key: keys::environment(organisation, environment),
                fits: Box::new(|_| true),
                code: "unknown_environment",
                message: "no environment of this organisation has this id",
            });
        }
        if let Some(model) = self.scope.model_id {
            references.push(Reference {
                field: "scope.model_id".into(),
                key: keys::device_model(model),
                fits: Box::new(|_| true),
                code: "unknown_model",
                message: "no device model has this id",
            });
        }
        for (i, user) in self.recipients.user_ids.iter().enumerate() {
            references.push(Reference {
                field: format!("recipients.user_ids[{i}]"),
                key: keys::membership(*user, organisation),
                fits: Box::new(|_| true),
                code: "not_a_member",
                message: "recipients are members of the rule's organisation",
            });
        }
        references
    }

    type Id = AlertRuleId;
    type Payload = AlertRulePayload;
    type Patch = AlertRulePatch;
    type Service = StoreAndClock;
    type Manage = ManageDevices;
    const KIND: &'static str = "alert_rule";
    const PREFIX: &'static str = keys::ALERT_RULES_PREFIX;
    const COMPANIES_TOO: bool = false;
    const API: CatalogueApi = CatalogueApi {
        collection: "alert-rules",
        id: "rule_id",
        name: "AlertRule",
        tag: "alerts",
        create: "Create an alert rule on a port's value, for a device, a model's or an environment's devices, or all (owners; roots)",
        list: "The organisation's alert rules (through a company, its root's)",
        get: "An alert rule",
        update: "Change an alert rule; the rule as changed is checked whole (owners)",
        delete: "Delete an alert rule; its open alerts stay until cleared (owners)",
    };

    fn key(organisation: OrganisationId, id: AlertRuleId) -> Key {
        keys::alert_rule(organisation, id)
    }

    fn new_id() -> AlertRuleId {
        AlertRuleId::generate()
    }

    fn blank(id: AlertRuleId, organisation: OrganisationId, now: Timestamp) -> Self {
        AlertRule {
            id,
            organisation_id: organisation,
            name: String::new(),
            scope: Scope::default(),
            port: 1,
            condition: Comparison::Above,
            value: 0.0,
            value2: None,
            duration_seconds: 0,
            clear_value: None,
            severity: Severity::Major,
            recipients: Recipients::default(),
            enabled: true,
            created_at: now,
            updated_at: now,
        }
    }

    fn patched(&self, patch: AlertRulePatch, _: &StoreAndClock, now: Timestamp) -> Result<Self, ValidationErrors> {
        let mut errors = Collector::new();
        let mut next = self.clone();
        if let Some(name) = patch.name.as_deref() {
            next.name = errors
                .check(free_text("name", name, MAX_NAME_CHARS))
                .unwrap_or_default();
        }
        if let Some(scope) = patch.scope {
            next.scope = scope;
        }
        if let Some(port) = patch.port {
            next.port = port;
        }
        if let Some(condition) = patch.condition {
            next.condition = condition;
        }
        if let Some(value) = patch.value {
            next.value = value;
        }
        if let Some(value2) = patch.value2 {
            next.value2 = value2;
        }
        if let Some(duration) = patch.duration_seconds {
            next.duration_seconds = duration;
        }
        if let Some(clear) = patch.clear_value {
            next.clear_value = clear;
        }
        if let Some(severity) = patch.severity {
            next.severity = severity;
        }
        if let Some(recipients) = patch.recipients
            && let Some(recipients) = Recipients::parse(Some(recipients), &mut errors)
        {
            next.recipients = recipients;
        }
        if let Some(enabled) = patch.enabled {
            next.enabled = enabled;
        }
        next.updated_at = now;
        next.check(&mut errors);
        errors.finish(|| next)
    }

    fn deletable() -> Option<(StoreCondition, DomainError)> {
        Some((StoreCondition::Exists, DomainError::NotFound))
    }
}
