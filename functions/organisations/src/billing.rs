//! Billing: the subscriber and payment method (T7), payment provider accounts.

use super::{Organisations, Result};
use axum::Json;
use axum::extract::State;
use stratum_infra::http::{Caller, Context, Ids, Shape, Valid};
use stratum_shared::ids::OrganisationId;
use stratum_shared::tenancy::{BillingView, PaymentMethodPayload, PaymentProvider, ProviderPayload, ProviderView};

pub(crate) async fn billing(
    State(state): State<Organisations>,
    Caller(principal): Caller,
    Ids(id): Ids<OrganisationId>,
) -> Result<Json<BillingView>> {
    Ok(Json(state.tenancy.billing(&principal, id).await?))
}

pub(crate) async fn submit_payment_method(
    State(state): State<Organisations>,
    Caller(principal): Caller,
    Context(context): Context,
    Ids(id): Ids<OrganisationId>,
    Valid(Shape(payload)): Valid<Shape<PaymentMethodPayload>>,
) -> Result<Json<BillingView>> {
    Ok(Json(
        state
            .tenancy
            .submit_payment_method(&principal, &context, id, payload)
            .await?,
    ))
}

/// The `{provider}` path parameter: a provider we integrate with (others name nothing: 404).
pub(crate) static PROVIDER_SCHEMA: std::sync::LazyLock<serde_json::Value> = std::sync::LazyLock::new(|| {
    serde_json::to_value(<PaymentProvider as utoipa::PartialSchema>::schema()).expect("a schema serialises")
});

pub(crate) async fn configure_provider(
    State(state): State<Organisations>,
    Caller(principal): Caller,
    Context(context): Context,
    Ids((id, provider)): Ids<(OrganisationId, PaymentProvider)>,
    Valid(Shape(payload)): Valid<Shape<ProviderPayload>>,
) -> Result<Json<ProviderView>> {
    Ok(Json(
        state
            .tenancy
            .configure_provider(&principal, &context, id, provider, payload)
            .await?,
    ))
}

pub(crate) async fn get_provider(
    State(state): State<Organisations>,
    Caller(principal): Caller,
    Ids((id, provider)): Ids<(OrganisationId, PaymentProvider)>,
) -> Result<Json<ProviderView>> {
    Ok(Json(state.tenancy.provider(&principal, id, provider).await?))
}
