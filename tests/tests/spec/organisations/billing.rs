//! Billing: T7 (the subscriber changes only by a billing admin's valid payment method) and
//! provider secrets encrypted at rest, never returned.

use super::{add, company, organisation};
use crate::world::World;
use serde_json::json;
use stratum_shared::ids::OrganisationId;
use stratum_shared::keys;

both_entry_points!(
    a_billing_admin_with_a_valid_payment_method_becomes_the_subscriber,
    an_expired_or_malformed_payment_method_changes_nothing,
    provider_secrets_are_encrypted_at_rest_and_never_returned,
);

fn card(exp_year: i32) -> serde_json::Value {
    json!({ "provider": "stripe", "reference": "pm_1Nsecretref", "brand": "visa", "last4": "4242", "exp_month": 12, "exp_year": exp_year })
}

async fn a_billing_admin_with_a_valid_payment_method_becomes_the_subscriber(world: &World) {
    let ada = world.person("ada").await;
    let bob = world.person("bob").await;
    let vera = world.person("vera").await;
    let id = organisation(world, &ada, "ABC Holdings").await;
    add(world, &ada, &id, &bob, &["owner", "billing_admin"]).await;
    add(world, &ada, &id, &vera, &["owner"]).await;

    let owner_only = world
        .organisation(&vera, &id)
        .billing()
        .submit_payment_method(card(2099))
        .await;
    assert_eq!(owner_only.status, 403, "an owner without billing_admin: {owner_only:?}");
    let submitted = world
        .organisation(&bob, &id)
        .billing()
        .submit_payment_method(card(2099))
        .await;

    assert_eq!(submitted.status, 200, "{submitted:?}");
    assert_eq!(submitted.body["billing_subscriber_id"], bob.id.as_str());
    assert_eq!(submitted.body["payment_method"]["last4"], "4242");
    assert!(
        !submitted.body.to_string().contains("pm_1Nsecretref"),
        "the provider reference is not shown"
    );
    let billing = world.organisation(&ada, &id).billing().get().await;
    assert_eq!(billing.body["billing_subscriber_id"], bob.id.as_str());
    assert_eq!(world.organisation(&vera, &id).billing().get().await.status, 403);

    let demote_bob = world
        .organisation(&ada, &id)
        .members()
        .set_roles(&bob.id, &["viewer"])
        .await;
    assert_eq!(
        (demote_bob.status, demote_bob.code()),
        (409, "billing_subscriber"),
        "the new subscriber is protected"
    );
    let demote_ada = world
        .organisation(&bob, &id)
        .members()
        .set_roles(&ada.id, &["owner"])
        .await;
    assert_eq!(
        demote_ada.status, 200,
        "the former subscriber is an ordinary billing admin again"
    );
    let trail = world
        .organisation(&ada, &id)
        .audit()
        .list_with(&[("action", "billing.payment_method_submitted")])
        .await;
    assert_eq!(trail.body["items"][0]["changes"]["reference"], "[redacted]");

    let child = company(world, &ada, &id, "Child").await;
    let on_company = world
        .organisation(&bob, &child)
        .billing()
        .submit_payment_method(card(2099))
        .await;
    assert_eq!((on_company.status, on_company.code()), (409, "billing_at_root"));
}

async fn an_expired_or_malformed_payment_method_changes_nothing(world: &World) {
    let ada = world.person("ada").await;
    let id = organisation(world, &ada, "ABC Holdings").await;
    let billing = world.organisation(&ada, &id).billing();

    let expired = billing.submit_payment_method(card(2020)).await;
    assert_eq!(
        expired.field_errors(),
        vec![("exp_year".to_owned(), "expired".to_owned())]
    );
    let malformed = json!({ "provider": "bitcoin", "reference": "", "brand": "visa", "last4": "42", "exp_month": 13, "exp_year": 2099 });
    let errors: Vec<String> = billing
        .submit_payment_method(malformed)
        .await
        .field_errors()
        .into_iter()
        .map(|(f, _)| f)
        .collect();
    assert_eq!(errors, ["provider", "reference", "last4", "exp_month"]);
    let shown = billing.get().await;
    assert_eq!(shown.body["payment_method"], serde_json::Value::Null);
}

async fn provider_secrets_are_encrypted_at_rest_and_never_returned(world: &World) {
    let ada = world.person("ada").await;
    let id = organisation(world, &ada, "ABC Holdings").await;
    let abc = world.organisation(&ada, &id);
    let stripe = abc.payment_provider("stripe");
    let config =
        json!({ "public_id": "pk_live_public", "secret": "sk_live_TOPSECRET", "webhook_secret": "whsec_HIDDEN" });

    let configured = stripe.configure(config).await;

    assert_eq!(configured.status, 200, "{configured:?}");
    assert_eq!(
        (
            configured.body["public_id"].as_str(),
            configured.body["secret_configured"].as_bool()
        ),
        (Some("pk_live_public"), Some(true))
    );
    let fetched = stripe.get().await;
    let billing = abc.billing().get().await;
    let trail = abc.audit().list().await;
    for reply in [&configured, &fetched, &billing, &trail] {
        assert!(
            !reply.body.to_string().contains("TOPSECRET") && !reply.body.to_string().contains("HIDDEN"),
            "{reply:?}"
        );
    }
    let key = keys::payment_provider(OrganisationId::parse(&id, "id").unwrap(), "stripe");
    let stored = world.identity.store.get(&key).await.unwrap().unwrap();
    let stored = serde_json::to_string(&stored.attributes).unwrap();
    assert!(
        !stored.contains("TOPSECRET") && stored.contains("v1."),
        "sealed at rest: {stored}"
    );
    assert_eq!(abc.payment_provider("bitcoin").get().await.status, 404);
    let no_secret = stripe.configure(json!({ "public_id": "pk", "secret": "" })).await;
    assert_eq!(no_secret.status, 422);
}
