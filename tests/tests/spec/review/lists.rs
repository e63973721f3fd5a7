//! Lists page to their end (SPEC §11): nothing is silently cut off at a page boundary.

use crate::organisations::{organisation, seed_002};
use crate::world::World;
use std::collections::BTreeSet;
use stratum_shared::audit::RequestContext;
use stratum_shared::ids::OrganisationId;
use stratum_shared::tenancy::{OrganisationInput, OrganisationPayload};

both_entry_points!(a_reseller_with_twelve_hundred_companies_pages_through_all_of_them);

async fn a_reseller_with_twelve_hundred_companies_pages_through_all_of_them(world: &World) {
    let owner = world.person("reseller").await;
    let root = organisation(world, &owner, "Reseller").await;
    let principal = world.identity.authenticate(&owner.access, None).await.unwrap();
    let tenancy = world.tenancy();
    let root_id = OrganisationId::parse(&root, "id").unwrap();
    for n in 0..1200 {
        let payload: OrganisationPayload = serde_json::from_value(seed_002(&format!("Company {n}"))).unwrap();
        let input = OrganisationInput::parse(payload, true).unwrap();
        tenancy
            .create_company(&principal, &RequestContext::default(), root_id, input)
            .await
            .unwrap();
    }

    // The reseller is also a member of one company themselves: it is listed once.
    let companies = world
        .organisation(&owner, &root)
        .companies()
        .list_with(&[("limit", "1")])
        .await;
    let joined = companies.body["items"][0]["id"].as_str().unwrap().to_owned();
    crate::organisations::add(world, &owner, &joined, &owner, &["operator"]).await;

    let organisations = world.organisations(&owner);
    let mut seen = Vec::new();
    let mut pages = 0;
    let mut cursor: Option<String> = None;
    loop {
        let mut query = vec![("limit", "200")];
        query.extend(cursor.as_deref().map(|cursor| ("cursor", cursor)));
        let page = organisations.list_with(&query).await;
        assert_eq!(page.status, 200, "{page:?}");
        let items = page.body["items"].as_array().unwrap();
        assert!(items.len() <= 200, "a page holds at most its limit");
        seen.extend(items.iter().map(|o| o["id"].as_str().unwrap().to_owned()));
        pages += 1;
        assert!(pages <= 10, "the cursor moves on");
        match page.body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }

    let distinct: BTreeSet<&String> = seen.iter().collect();
    assert_eq!(distinct.len(), seen.len(), "no organisation is listed twice");
    assert_eq!(
        seen.len(),
        1 + 1 + 1200,
        "the personal organisation, the root and every company"
    );
    assert!(distinct.contains(&root) && distinct.contains(&owner.personal_organisation_id));
    let foreign = organisations.list_with(&[("cursor", "bm90LWEtY3Vyc29y")]).await;
    assert_eq!(
        foreign.status, 422,
        "a cursor this list did not issue is refused: {foreign:?}"
    );
}
