//! Claiming a SIM with its activation code (seed 000's "Amazon Band").

use super::{iccid, sims_path};
use crate::organisations::{company, organisation};
use crate::world::{Person, Reply, World};
use serde_json::json;

both_entry_points!(
    a_code_printed_for_one_company_claims_nothing_once_the_sim_moves,
    a_buyer_claims_a_sim_with_its_code_and_becomes_an_end_user_of_its_company,
    two_people_racing_to_claim_one_sim_leave_one_owner,
    guessing_codes_is_throttled_per_person,
);

/// A root with a company holding one SIM, and that SIM's activation code.
async fn printed(world: &World) -> (Person, String, String, String, String) {
    let owner = world.person("owner").await;
    let root = organisation(world, &owner, "Amazon Band").await;
    let shop = company(world, &owner, &root, "Band shop").await;
    let number = iccid(7);
    let added = world
        .call(
            "POST",
            &sims_path(&shop),
            owner.token(),
            Some(json!({ "iccid": number })),
        )
        .await;
    assert_eq!(added.status, 201, "{added:?}");
    let unassigned = iccid(8);
    world
        .call(
            "POST",
            &sims_path(&root),
            owner.token(),
            Some(json!({ "iccid": unassigned })),
        )
        .await;
    let codes = world
        .call(
            "POST",
            &format!("{}/activation-codes", sims_path(&root)),
            owner.token(),
            Some(json!({ "iccids": [number, unassigned, iccid(9)] })),
        )
        .await;
    assert_eq!(codes.status, 200, "{codes:?}");
    assert_eq!(codes.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(
        codes.body["refused"],
        json!([
            { "iccid": unassigned, "code": "unassigned" },
            { "iccid": iccid(9), "code": "not_found" },
        ])
    );
    let junk = world
        .call(
            "POST",
            &format!("{}/activation-codes", sims_path(&root)),
            owner.token(),
            Some(json!({ "iccids": ["junk"] })),
        )
        .await;
    assert_eq!(
        junk.field_errors(),
        [("iccids[0]".to_owned(), "invalid_iccid".to_owned())]
    );
    let code = codes.body["items"][0]["activation_code"].as_str().unwrap().to_owned();
    (owner, root, shop, number, code)
}

async fn claim(world: &World, who: &Person, number: &str, code: &str) -> Reply {
    world
        .call(
            "POST",
            "/api/sims/claim",
            who.token(),
            Some(json!({ "iccid": number, "activation_code": code })),
        )
        .await
}

async fn a_buyer_claims_a_sim_with_its_code_and_becomes_an_end_user_of_its_company(world: &World) {
    let (owner, root, shop, number, code) = printed(world).await;
    let buyer = world.person("buyer").await;
    assert!(
        !world
            .call("GET", &format!("{}/{number}", sims_path(&root)), owner.token(), None)
            .await
            .body
            .to_string()
            .contains(&code),
        "the code is shown once and never again"
    );

    let wrong = claim(world, &buyer, &number, "AAAA-BBBB-CCCC").await;
    let unknown = claim(world, &buyer, &iccid(9), &code).await;
    assert_eq!((wrong.status, unknown.status), (404, 404), "the same answer for both");
    assert_eq!(wrong.body, unknown.body);

    let typed = code.to_lowercase().replace('-', " ");
    let claimed = claim(world, &buyer, &number, &typed).await;
    assert_eq!(claimed.status, 200, "{claimed:?}");
    assert_eq!(claimed.body["end_user_id"], buyer.id.as_str());
    assert_eq!(claimed.body["company_id"], shop.as_str());
    assert_eq!(claimed.body["claimable"], false);
    let mine = world.call("GET", &sims_path(&shop), buyer.token(), None).await;
    assert_eq!(mine.body["items"][0]["iccid"], number.as_str(), "{mine:?}");
    let membership = world
        .call("GET", &format!("/api/organisations/{shop}"), buyer.token(), None)
        .await;
    assert_eq!(membership.status, 200, "the buyer is an end user of the company");
    let staff_only = world
        .call("GET", &format!("{}/summary", sims_path(&shop)), buyer.token(), None)
        .await;
    assert_eq!(staff_only.status, 403, "an end user is no staff");

    let again = claim(world, &world.person("second").await, &number, &code).await;
    assert_eq!((again.status, again.code()), (409, "sim_claimed"));
    let reprint = world
        .call(
            "POST",
            &format!("{}/activation-codes", sims_path(&root)),
            owner.token(),
            Some(json!({ "iccids": [number] })),
        )
        .await;
    assert_eq!(reprint.body["refused"][0]["code"], "claimed");
    let audit = world
        .call(
            "GET",
            &format!("/api/organisations/{root}/audit?action=sim.claimed"),
            owner.token(),
            None,
        )
        .await;
    assert_eq!(
        audit.body["items"][0]["actor"]["user_id"],
        buyer.id.as_str(),
        "{audit:?}"
    );
}

async fn two_people_racing_to_claim_one_sim_leave_one_owner(world: &World) {
    let (_, _, _, number, code) = printed(world).await;
    let (ann, ben) = (world.person("ann").await, world.person("ben").await);
    let replies =
        crate::world::join_all([claim(world, &ann, &number, &code), claim(world, &ben, &number, &code)].into_iter())
            .await;
    let mut statuses: Vec<u16> = replies.iter().map(|reply| reply.status).collect();
    statuses.sort();
    assert_eq!(statuses, [200, 409], "{replies:?}");
}

async fn guessing_codes_is_throttled_per_person(world: &World) {
    let (_, _, _, number, code) = printed(world).await;
    let guesser = world.person("guesser").await;
    for attempt in 0..10 {
        let wrong = claim(world, &guesser, &number, &format!("AAAA-AAAA-AA{attempt:02}")).await;
        assert_eq!(wrong.status, 404);
    }
    let throttled = claim(world, &guesser, &number, &code).await;
    assert_eq!((throttled.status, throttled.code()), (429, "too_many_claims"));
    assert!(throttled.headers.contains_key("retry-after"));
}

async fn a_code_printed_for_one_company_claims_nothing_once_the_sim_moves(world: &World) {
    let (owner, root, _, number, code) = printed(world).await;
    let other_shop = company(world, &owner, &root, "Other shop").await;
    let moved = world
        .call(
            "PUT",
            &format!("{}/{number}/assignment", sims_path(&root)),
            owner.token(),
            Some(json!({ "company_id": other_shop })),
        )
        .await;
    assert_eq!(moved.status, 200, "{moved:?}");
    assert_eq!(moved.body["claimable"], false);
    let buyer = world.person("buyer").await;
    assert_eq!(
        claim(world, &buyer, &number, &code).await.status,
        404,
        "the old code is void"
    );
}
