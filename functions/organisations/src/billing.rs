//! Billing: the subscriber and payment method (T7), payment provider accounts.

use super::{Organisations, Result, organisation_id};
use axum::Json;
use axum::extract::{Path, State};
use stratum_infra::http::{ApiError, Caller, Context, Shape, Valid};
use stratum_shared::tenancy::{BillingView, PaymentMethodPayload, PaymentProvider, ProviderPayload, ProviderView};

pub(crate) async fn billing(
    State(state): State<Organisations>,
    Caller(principal): Caller,
    Path(id): Path<String>,
) -> Result<Json<BillingView>> {
    Ok(Json(state.tenancy.billing(&principal, organisation_id(&id)?).await?))
}

pub(crate) async fn submit_payment_method(
    State(state): State<Organisations>,
    Caller(principal): Caller,
    Context(context): Context,
    Path(id): Path<String>,
    Valid(Shape(payload)): Valid<Shape<PaymentMethodPayload>>,
) -> Result<Json<BillingView>> {
    Ok(Json(
        state
            .tenancy
            .submit_payment_method(&principal, &context, organisation_id(&id)?, payload)
            .await?,
    ))
}

/// A provider in a path that names none of ours names nothing that exists.
fn provider(text: &str) -> Result<PaymentProvider> {
    PaymentProvider::parse(text, "provider").map_err(|_| ApiError::NotFound)
}

pub(crate) async fn configure_provider(
    State(state): State<Organisations>,
    Caller(principal): Caller,
    Context(context): Context,
    Path((id, name)): Path<(String, String)>,
    Valid(Shape(payload)): Valid<Shape<ProviderPayload>>,
) -> Result<Json<ProviderView>> {
    let id = organisation_id(&id)?;
    Ok(Json(
        state
            .tenancy
            .configure_provider(&principal, &context, id, provider(&name)?, payload)
            .await?,
    ))
}

pub(crate) async fn get_provider(
    State(state): State<Organisations>,
    Caller(principal): Caller,
    Path((id, name)): Path<(String, String)>,
) -> Result<Json<ProviderView>> {
    Ok(Json(
        state
            .tenancy
            .provider(&principal, organisation_id(&id)?, provider(&name)?)
            .await?,
    ))
}
