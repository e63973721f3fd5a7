//! T10 with internationalised domains: an address is one address whatever form its domain is
//! written in (Unicode or punycode) and whatever the case.

use crate::world::{PASSWORD, World};
use serde_json::json;

both_entry_points!(an_internationalised_domain_is_one_address_in_unicode_or_punycode);

async fn an_internationalised_domain_is_one_address_in_unicode_or_punycode(world: &World) {
    let local = format!("jane.{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
    let ascii = format!("{local}@xn--bcher-kva.example");
    let register = |email: String| {
        world.call(
            "POST",
            "/api/auth/register",
            None,
            Some(json!({ "email": email, "password": PASSWORD })),
        )
    };

    let registered = register(format!("{local}@bücher.example")).await;
    assert_eq!(registered.status, 201, "{registered:?}");
    assert_eq!(registered.body["email"], ascii.as_str(), "stored in its ASCII form");

    let again = register(format!("{}@xn--bcher-kva.example", local.to_uppercase())).await;
    assert_eq!((again.status, again.code()), (409, "email_taken"), "{again:?}");

    let mails = world.mails_to(&ascii, 1).await;
    assert_eq!(mails.len(), 1, "one confirmation, addressed to {ascii}");
    let confirmed = world.confirm(&mails[0].token(), PASSWORD).await;
    assert_eq!(confirmed.status, 204, "{confirmed:?}");

    let (access, _) = world.login(&format!("{local}@BÜCHER.example"), PASSWORD).await;
    let me = world.call("GET", "/api/me", Some(&access), None).await;
    assert_eq!(me.body["email"], ascii.as_str(), "{me:?}");
}
