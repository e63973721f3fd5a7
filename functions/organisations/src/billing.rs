//! Billing: the subscriber and payment method (T7), payment provider accounts.

use super::{Organisations, Result};
use axum::Json;
use axum::extract::State;
use stratum_infra::http::{Access, Api, Caller, Context, Ids, Operation, Shape, Valid};
use stratum_shared::ids::OrganisationId;
use stratum_shared::tenancy::{
    BillingView, PaymentMethodPayload, PaymentProvider, Permission, ProviderPayload, ProviderView,
};

pub(crate) fn routes(api: Api<Organisations>) -> Api<Organisations> {
    api.route(
        Operation::get("/api/organisations/{organisation_id}/billing", "getBilling")
            .summary("billing", "The billing subscriber and payment method")
            .permission(Permission::ManageBilling)
            .answers::<BillingView>(200)
            .may_answer(&[409]),
        billing,
    )
    .route(
        Operation::post(
            "/api/organisations/{organisation_id}/billing/payment-method",
            "submitPaymentMethod",
        )
        .summary("billing", "Put a payment method on file (the billing subscriber; T7)")
        .access(Access::Organisation {
            permission: Permission::ManageBilling,
            admin: false,
        })
        .takes::<PaymentMethodPayload>()
        .answers::<BillingView>(200)
        .may_answer(&[409]),
        submit_payment_method,
    )
    .route(
        Operation::put(
            "/api/organisations/{organisation_id}/payment-providers/{provider}",
            "configureProvider",
        )
        .summary(
            "billing",
            "Configure a payment provider account (secrets sealed at rest, never shown)",
        )
        .permission(Permission::ManageBilling)
        .path_schema("provider", PROVIDER_SCHEMA.clone())
        .takes::<ProviderPayload>()
        .answers::<ProviderView>(200)
        .may_answer(&[409]),
        configure_provider,
    )
    .route(
        Operation::get(
            "/api/organisations/{organisation_id}/payment-providers/{provider}",
            "getProvider",
        )
        .summary("billing", "A payment provider account, without its secrets")
        .permission(Permission::ManageBilling)
        .path_schema("provider", PROVIDER_SCHEMA.clone())
        .answers::<ProviderView>(200)
        .may_answer(&[409]),
        get_provider,
    )
}

async fn billing(
    State(state): State<Organisations>,
    Caller(principal): Caller,
    Ids(id): Ids<OrganisationId>,
) -> Result<Json<BillingView>> {
    Ok(Json(state.tenancy.billing(&principal, id).await?))
}

async fn submit_payment_method(
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
static PROVIDER_SCHEMA: std::sync::LazyLock<serde_json::Value> = std::sync::LazyLock::new(|| {
    serde_json::to_value(<PaymentProvider as utoipa::PartialSchema>::schema()).expect("a schema serialises")
});

async fn configure_provider(
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

async fn get_provider(
    State(state): State<Organisations>,
    Caller(principal): Caller,
    Ids((id, provider)): Ids<(OrganisationId, PaymentProvider)>,
) -> Result<Json<ProviderView>> {
    Ok(Json(state.tenancy.provider(&principal, id, provider).await?))
}
