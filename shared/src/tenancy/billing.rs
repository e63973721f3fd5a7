//! Billing (SPEC §2 T7, §6): the billing subscriber, the payment method, and payment
//! provider accounts whose secrets are encrypted at rest and never returned.

use super::access::authorize;
use super::grants::ManageBilling;
use super::{Tenancy, with_retries};
use crate::accounts::Role;
use crate::audit::{AuditEvent, RequestContext};
use crate::error::{DomainError, DomainResult};
use crate::identity::Principal;
use crate::ids::{OrganisationId, UserId};
use crate::keys;
use crate::store::{Condition, Item, Update, Write};
use crate::time::Timestamp;
use crate::unit_of_work::UnitOfWork;
use crate::validation::{Collector, ValidationErrors, free_text};
use chrono::Datelike;
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PaymentProvider {
    Stripe,
    Paypal,
}

impl PaymentProvider {
    pub fn parse(text: &str, field: &str) -> Result<Self, ValidationErrors> {
        serde_json::from_value(json!(text))
            .map_err(|_| ValidationErrors::single(field, "unknown_provider", "stripe or paypal"))
    }
}

/// A card or account on file, as submitted (T7). `reference` is the provider's token for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PaymentMethod {
    pub provider: PaymentProvider,
    pub reference: String,
    pub brand: String,
    pub last4: String,
    pub exp_month: u32,
    pub exp_year: i32,
    pub submitted_by: UserId,
    pub submitted_at: Timestamp,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = PaymentMethodRequest)]
pub struct PaymentMethodPayload {
    #[schema(value_type = PaymentProvider)]
    pub provider: String,
    /// The provider's token for the card or account.
    #[schema(schema_with = reference_text)]
    pub reference: String,
    #[schema(schema_with = brand_text)]
    pub brand: String,
    #[schema(pattern = "^[0-9]{4}$")]
    pub last4: String,
    #[serde(deserialize_with = "crate::schema::whole_number")]
    #[schema(minimum = 1, maximum = 12)]
    pub exp_month: u32,
    /// Refused (422 `expired`) when the month it names has passed.
    #[serde(deserialize_with = "crate::schema::whole_number")]
    pub exp_year: i32,
}

fn reference_text() -> utoipa::openapi::schema::Object {
    crate::schema::free_text(255)
}

fn brand_text() -> utoipa::openapi::schema::Object {
    crate::schema::free_text(50)
}

/// A provider account's configuration: public fields in the clear, secret fields sealed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProviderAccount {
    pub provider: PaymentProvider,
    /// Stripe's publishable key or PayPal's client id: not secret.
    pub public_id: String,
    /// PayPal's `sandbox` / `live`; Stripe keys carry their mode themselves.
    pub mode: Option<String>,
    /// The secret key / client secret and any webhook signing secret, sealed.
    pub sealed_secrets: String,
    pub updated_at: Timestamp,
    pub updated_by: UserId,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ProviderRequest)]
pub struct ProviderPayload {
    /// Stripe's publishable key or PayPal's client id.
    #[schema(schema_with = reference_text)]
    pub public_id: String,
    /// Sealed at rest, never shown again.
    #[schema(pattern = "\\S")]
    pub secret: String,
    pub webhook_secret: Option<String>,
    #[schema(schema_with = mode)]
    pub mode: Option<String>,
}

fn mode() -> utoipa::openapi::schema::Schema {
    crate::schema::nullable(
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .enum_values(Some(["sandbox", "live"])),
    )
}

/// A provider account as the API shows it: never a secret.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProviderView {
    pub provider: PaymentProvider,
    pub public_id: String,
    pub mode: Option<String>,
    pub secret_configured: bool,
    pub updated_at: Timestamp,
}

impl From<ProviderAccount> for ProviderView {
    fn from(account: ProviderAccount) -> Self {
        Self {
            provider: account.provider,
            public_id: account.public_id,
            mode: account.mode,
            secret_configured: !account.sealed_secrets.is_empty(),
            updated_at: account.updated_at,
        }
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PaymentMethodView {
    pub provider: PaymentProvider,
    pub brand: String,
    pub last4: String,
    pub exp_month: u32,
    pub exp_year: i32,
    pub submitted_by: UserId,
    pub submitted_at: Timestamp,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BillingView {
    pub organisation_id: OrganisationId,
    pub billing_subscriber_id: Option<UserId>,
    pub payment_method: Option<PaymentMethodView>,
    pub payment_providers: Vec<ProviderView>,
}

/// A payment method checked field by field; expired cards are refused (T7: "valid").
fn parse_payment_method(
    payload: PaymentMethodPayload,
    by: UserId,
    now: Timestamp,
) -> Result<PaymentMethod, ValidationErrors> {
    let mut errors = Collector::new();
    let provider = errors.check(PaymentProvider::parse(&payload.provider, "provider"));
    let reference = errors.check(free_text("reference", &payload.reference, 255));
    let brand = errors.check(free_text("brand", &payload.brand, 50));
    if payload.last4.len() != 4 || !payload.last4.chars().all(|c| c.is_ascii_digit()) {
        errors.push("last4", "invalid_last4", "the last four digits");
    }
    if !(1..=12).contains(&payload.exp_month) {
        errors.push("exp_month", "invalid_month", "a month from 1 to 12");
    }
    let today = now.as_datetime();
    if (payload.exp_year, payload.exp_month) < (today.year(), today.month()) {
        errors.push("exp_year", "expired", "this payment method has expired");
    }
    errors.finish(|| PaymentMethod {
        provider: provider.expect("checked"),
        reference: reference.expect("checked"),
        brand: brand.expect("checked"),
        last4: payload.last4,
        exp_month: payload.exp_month,
        exp_year: payload.exp_year,
        submitted_by: by,
        submitted_at: now,
    })
}

impl Tenancy {
    pub async fn billing(&self, principal: &Principal, organisation_id: OrganisationId) -> DomainResult<BillingView> {
        let access = authorize::<ManageBilling>(&*self.store, principal, organisation_id).await?;
        let method: Option<PaymentMethod> = access
            .attribute("payment_method")
            .filter(|v| !v.is_null())
            .map(|v| serde_json::from_value(v.clone()))
            .transpose()
            .map_err(|e| DomainError::Internal(e.to_string()))?;
        let providers = [PaymentProvider::Stripe, PaymentProvider::Paypal]
            .map(|p| keys::payment_provider(organisation_id, provider_name(p)));
        let mut payment_providers = Vec::new();
        for item in self.store.batch_get(&providers).await?.into_iter().flatten() {
            payment_providers.push(item.record::<ProviderAccount>()?.into());
        }
        Ok(BillingView {
            organisation_id,
            billing_subscriber_id: access.organisation().billing_subscriber(),
            payment_method: method.map(|m| PaymentMethodView {
                provider: m.provider,
                brand: m.brand,
                last4: m.last4,
                exp_month: m.exp_month,
                exp_year: m.exp_year,
                submitted_by: m.submitted_by,
                submitted_at: m.submitted_at,
            }),
            payment_providers,
        })
    }

    /// A billing admin submits a valid payment method and so becomes the billing subscriber
    /// (T7: the only way the subscriber changes).
    pub async fn submit_payment_method(
        &self,
        principal: &Principal,
        context: &RequestContext,
        organisation_id: OrganisationId,
        payload: PaymentMethodPayload,
    ) -> DomainResult<BillingView> {
        let method = parse_payment_method(payload, principal.user.id, self.now())?;
        with_retries(|| async {
            let access = authorize::<ManageBilling>(&*self.store, principal, organisation_id).await?;
            if access.organisation().parent_organisation_id.is_some() {
                return Err(DomainError::conflict("billing_at_root", "companies are billed through their root organisation"));
            }
            let user = principal.user.id;
            let own = principal.active_membership(organisation_id).filter(|m| m.roles.contains(&Role::BillingAdmin));
            let Some(own) = own else {
                return Err(DomainError::denied("not_a_billing_admin", "only a billing admin of this organisation becomes its subscriber"));
            };
            let now = self.now();
            let update = Update::new(keys::organisation(organisation_id))
                .set("payment_method", json!(method))
                .set("billing_subscriber_id", json!(user))
                .set("updated_at", json!(now))
                .when(Condition::VersionIs(access.version()));
            // Still a billing admin when the change lands.
            let still = Write::Check { key: keys::membership(user, organisation_id), condition: Condition::AttributeEquals("roles".into(), json!(own.roles)) };
            let changes = json!({ "billing_subscriber_id": user, "previous_billing_subscriber_id": access.organisation().billing_subscriber_id, "brand": method.brand, "last4": method.last4, "reference": method.reference });
            let event = AuditEvent::by(principal.actor())
                .did("billing.payment_method_submitted")
                .on("organisation", organisation_id)
                .in_organisation(organisation_id)
                .changes(changes)
                .at(now, context);
            UnitOfWork::new().write(Write::Update(update)).write(still).audit(event).commit(&*self.store).await
        })
        .await?;
        self.billing(principal, organisation_id).await
    }

    /// Configures a payment provider account; its secrets are sealed before they are stored.
    pub async fn configure_provider(
        &self,
        principal: &Principal,
        context: &RequestContext,
        organisation_id: OrganisationId,
        provider: PaymentProvider,
        payload: ProviderPayload,
    ) -> DomainResult<ProviderView> {
        // The payload is checked first, as everywhere: a malformed request is a 422 whoever sends it.
        let mut errors = Collector::new();
        let public_id = errors.check(free_text("public_id", &payload.public_id, 255));
        if payload.secret.trim().is_empty() {
            errors.push("secret", "required", "the secret key or client secret");
        }
        if payload
            .mode
            .as_deref()
            .is_some_and(|mode| !["sandbox", "live"].contains(&mode))
        {
            errors.push("mode", "invalid_mode", "sandbox or live");
        }
        errors.finish(|| ())?;
        let access = authorize::<ManageBilling>(&*self.store, principal, organisation_id).await?;
        if access.organisation().parent_organisation_id.is_some() {
            return Err(DomainError::conflict(
                "billing_at_root",
                "payment providers belong to the root organisation",
            ));
        }
        let secrets = json!({ "secret": payload.secret, "webhook_secret": payload.webhook_secret }).to_string();
        let now = self.now();
        let account = ProviderAccount {
            provider,
            public_id: public_id.expect("checked"),
            mode: payload.mode,
            sealed_secrets: self.secret_box.seal(&secrets)?,
            updated_at: now,
            updated_by: principal.user.id,
        };
        let changes = json!({ "provider": provider, "public_id": account.public_id, "mode": account.mode, "secret": "[redacted]" });
        let event = AuditEvent::by(principal.actor())
            .did("billing.provider_configured")
            .on("organisation", organisation_id)
            .in_organisation(organisation_id)
            .changes(changes)
            .at(now, context);
        let item = Item::from_record(
            keys::payment_provider(organisation_id, provider_name(provider)),
            &account,
        );
        UnitOfWork::new()
            .write(Write::Put { item, condition: None })
            .audit(event)
            .commit(&*self.store)
            .await?;
        Ok(account.into())
    }

    pub async fn provider(
        &self,
        principal: &Principal,
        organisation_id: OrganisationId,
        provider: PaymentProvider,
    ) -> DomainResult<ProviderView> {
        let access = authorize::<ManageBilling>(&*self.store, principal, organisation_id).await?;
        if access.organisation().parent_organisation_id.is_some() {
            return Err(DomainError::conflict(
                "billing_at_root",
                "payment providers belong to the root organisation",
            ));
        }
        let item = self
            .store
            .get(&keys::payment_provider(organisation_id, provider_name(provider)))
            .await?
            .ok_or(DomainError::NotFound)?;
        Ok(item.record::<ProviderAccount>()?.into())
    }
}

fn provider_name(provider: PaymentProvider) -> &'static str {
    match provider {
        PaymentProvider::Stripe => "stripe",
        PaymentProvider::Paypal => "paypal",
    }
}
