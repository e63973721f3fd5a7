//! The alert-rule use cases: owners write an organisation's rules, staff read them.

use super::Devices;
use crate::alerts::{AlertRule, AlertRulePatch, AlertRulePayload};
use crate::audit::RequestContext;
use crate::error::{DomainError, DomainResult};
use crate::identity::Principal;
use crate::ids::{AlertRuleId, DeviceId, OrganisationId};
use crate::keys;
use crate::store::Cursor;

impl Devices {
    pub async fn create_alert_rule(
        &self,
        principal: &Principal,
        context: &RequestContext,
        organisation_id: OrganisationId,
        payload: AlertRulePayload,
    ) -> DomainResult<(AlertRule, u64)> {
        self.catalogue()
            .create::<AlertRule>(principal, context, organisation_id, payload, &())
            .await
    }

    /// A page of the organisation's alert rules its staff read; through a company, only
    /// rules that are not about a device, or about one of the company's (L2).
    pub async fn alert_rules(
        &self,
        principal: &Principal,
        organisation_id: OrganisationId,
        limit: u32,
        cursor: Option<Cursor>,
    ) -> DomainResult<(Vec<AlertRule>, Option<Cursor>)> {
        let (rules, next) = self
            .catalogue()
            .entries::<AlertRule>(principal, organisation_id, limit, cursor)
            .await?;
        let rules = self.about_own_devices(organisation_id, rules).await?;
        Ok((rules, next))
    }

    pub async fn alert_rule(
        &self,
        principal: &Principal,
        organisation_id: OrganisationId,
        id: AlertRuleId,
    ) -> DomainResult<(AlertRule, u64)> {
        let (rule, version) = self
            .catalogue()
            .entry::<AlertRule>(principal, organisation_id, id)
            .await?;
        let mut shown = self.about_own_devices(organisation_id, vec![rule]).await?;
        shown.pop().map(|rule| (rule, version)).ok_or(DomainError::NotFound)
    }

    /// Of `rules` (the root's, read through `organisation_id` by a caller authorised there),
    /// those the caller sees: every one on the root itself; through a company, those not about
    /// one device, or about one of the company's.
    async fn about_own_devices(
        &self,
        organisation_id: OrganisationId,
        rules: Vec<AlertRule>,
    ) -> DomainResult<Vec<AlertRule>> {
        let about_a_device: Vec<DeviceId> = rules.iter().filter_map(|rule| rule.scope.device_id).collect();
        if about_a_device.is_empty() || rules.iter().all(|rule| rule.organisation_id == organisation_id) {
            return Ok(rules);
        }
        let found = self
            .store
            .batch_get(
                &about_a_device
                    .iter()
                    .map(|device| keys::device(*device))
                    .collect::<Vec<_>>(),
            )
            .await?;
        let companys: Vec<DeviceId> = found
            .into_iter()
            .flatten()
            .filter_map(|item| item.record::<super::Device>().ok())
            .filter(|device| device.company_id == Some(organisation_id))
            .map(|device| device.id)
            .collect();
        Ok(rules
            .into_iter()
            .filter(|rule| rule.scope.device_id.is_none_or(|device| companys.contains(&device)))
            .collect())
    }

    pub async fn update_alert_rule(
        &self,
        principal: &Principal,
        context: &RequestContext,
        organisation_id: OrganisationId,
        id: AlertRuleId,
        patch: AlertRulePatch,
        if_match: Option<u64>,
    ) -> DomainResult<(AlertRule, u64)> {
        self.catalogue()
            .update::<AlertRule>(principal, context, organisation_id, id, patch, if_match, &())
            .await
    }

    pub async fn delete_alert_rule(
        &self,
        principal: &Principal,
        context: &RequestContext,
        organisation_id: OrganisationId,
        id: AlertRuleId,
        if_match: Option<u64>,
    ) -> DomainResult<()> {
        self.catalogue()
            .delete::<AlertRule>(principal, context, organisation_id, id, if_match)
            .await
    }
}
