//! Assigning a SIM: to a company of the organisation, and to an end user who is a member of
//! that company; a company owner assigns within the company, and taking a SIM back is audited.

use super::{Estate, estate, iccid, iccids, sims_path};
use crate::organisations::{add, company, organisation};
use crate::world::{Person, World};
use serde_json::{Value, json};

both_entry_points!(assignment_needs_a_company_of_the_organisation_and_a_member_of_that_company);

async fn assignment_needs_a_company_of_the_organisation_and_a_member_of_that_company(world: &World) {
    let Estate {
        owner,
        root,
        branch,
        sibling,
        end_user,
        sims,
    } = estate(world).await;
    let eve = world.person("eve").await;
    let elsewhere = organisation(world, &eve, "Elsewhere").await;
    let foreign_company = company(world, &eve, &elsewhere, "Foreign").await;
    let branch_owner = world.person("branchowner").await;
    add(world, &owner, &branch, &branch_owner, &["owner"]).await;
    let assign = |who: &Person, organisation: &str, number: &str, body: Value| {
        let path = format!("{}/{number}/assignment", sims_path(organisation));
        let token = who.access.clone();
        async move { world.call("PUT", &path, Some(&token), Some(body)).await }
    };

    let foreign = assign(&owner, &root, &sims[2], json!({ "company_id": foreign_company })).await;
    assert_eq!((foreign.status, foreign.code()), (409, "inconsistent"));
    assert_eq!(foreign.field_errors()[0].1, "unknown_company");
    let not_member = assign(
        &owner,
        &root,
        &sims[2],
        json!({ "company_id": sibling, "end_user_id": end_user.id }),
    )
    .await;
    assert_eq!(not_member.field_errors()[0].1, "not_a_member", "{not_member:?}");
    let across = assign(&branch_owner, &branch, &sims[1], json!({ "company_id": sibling })).await;
    assert_eq!(across.field_errors()[0].1, "not_this_company", "{across:?}");
    let protected = world
        .call(
            "POST",
            &sims_path(&branch),
            branch_owner.token(),
            Some(json!({ "iccid": iccid(15), "termination_protection": true })),
        )
        .await;
    assert_eq!(
        (protected.status, protected.code()),
        (409, "root_only"),
        "a company stocks SIMs but their protection is the root's"
    );
    let unassigned = assign(&branch_owner, &branch, &sims[2], json!({ "company_id": branch })).await;
    assert_eq!(
        unassigned.status, 404,
        "the root's unassigned SIMs are not the company's"
    );

    let to_user = assign(
        &branch_owner,
        &branch,
        &sims[1],
        json!({ "company_id": branch, "end_user_id": end_user.id }),
    )
    .await;
    assert_eq!(
        to_user.status, 200,
        "a company owner assigns within the company: {to_user:?}"
    );
    let mine = world.call("GET", &sims_path(&branch), end_user.token(), None).await;
    assert_eq!(iccids(&mine), [sims[0].clone(), sims[1].clone()]);

    let taken_back = world
        .call(
            "DELETE",
            &format!("{}/{}/assignment", sims_path(&root), sims[0]),
            owner.token(),
            None,
        )
        .await;
    assert_eq!(taken_back.status, 200);
    assert_eq!(taken_back.body["company_id"], Value::Null);
    let mine = world.call("GET", &sims_path(&branch), end_user.token(), None).await;
    assert_eq!(iccids(&mine), [sims[1].clone()], "the end user's list follows");
    let audit = world
        .call(
            "GET",
            &format!("/api/organisations/{root}/audit?action=sim.assigned"),
            owner.token(),
            None,
        )
        .await;
    assert_eq!(audit.body["items"].as_array().unwrap().len(), 4, "{audit:?}");
}
