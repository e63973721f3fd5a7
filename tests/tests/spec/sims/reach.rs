//! Who sees which SIM: root staff every one, company staff their company's, an end user their
//! own, with filters and counts to match; and filters naming another organisation's company
//! or end user read nothing of them.

use super::{Estate, add_sim, estate, iccid, iccids, sims_path};
use crate::organisations::{add, company, organisation};
use crate::world::{Person, World};
use serde_json::{Value, json};

both_entry_points!(
    root_staff_see_every_sim_company_staff_their_companys_and_an_end_user_their_own,
    filters_naming_another_organisations_company_or_end_user_read_nothing_of_them,
);

async fn root_staff_see_every_sim_company_staff_their_companys_and_an_end_user_their_own(world: &World) {
    let estate = estate(world);
    let Estate {
        owner,
        root,
        branch,
        sibling,
        end_user,
        sims,
    } = estate.await;
    let root_viewer = world.person("rootviewer").await;
    let branch_viewer = world.person("branchviewer").await;
    let sibling_member = world.person("siblingmember").await;
    let stranger = world.person("stranger").await;
    add(world, &owner, &root, &root_viewer, &["viewer"]).await;
    add(world, &owner, &branch, &branch_viewer, &["viewer"]).await;
    add(world, &owner, &sibling, &sibling_member, &["member"]).await;
    let mut all = sims.to_vec();
    all.sort();

    let list = |who: &Person, organisation: &str, query: &str| {
        let path = format!("{}{query}", sims_path(organisation));
        let token = who.access.clone();
        async move { world.call("GET", &path, Some(&token), None).await }
    };
    assert_eq!(iccids(&list(&root_viewer, &root, "").await), all);
    assert_eq!(
        iccids(&list(&root_viewer, &branch, "").await),
        [sims[0].clone(), sims[1].clone()],
        "root staff reach a company's SIMs through it"
    );
    assert_eq!(
        iccids(&list(&branch_viewer, &branch, "").await),
        [sims[0].clone(), sims[1].clone()]
    );
    assert_eq!(
        iccids(&list(&end_user, &branch, "").await),
        [sims[0].clone()],
        "an end user sees the SIMs assigned to them"
    );
    assert_eq!(
        iccids(&list(&end_user, &branch, &format!("?end_user_id={}", branch_viewer.id)).await),
        Vec::<String>::new(),
        "and nobody else's, whatever they ask"
    );
    assert!(iccids(&list(&sibling_member, &sibling, "").await).is_empty());
    assert_eq!(
        list(&branch_viewer, &root, "").await.status,
        404,
        "company staff have no root"
    );
    assert_eq!(list(&stranger, &root, "").await.status, 404);

    let get = |who: &Person, organisation: &str, number: &str| {
        let path = format!("{}/{number}", sims_path(organisation));
        let token = who.access.clone();
        async move { world.call("GET", &path, Some(&token), None).await.status }
    };
    assert_eq!(get(&end_user, &branch, &sims[0]).await, 200);
    assert_eq!(get(&end_user, &branch, &sims[1]).await, 404, "not theirs");
    assert_eq!(get(&branch_viewer, &branch, &sims[3]).await, 404, "the sibling's");
    assert_eq!(
        get(&branch_viewer, &branch, &sims[2]).await,
        404,
        "unassigned: the root's"
    );
    assert_eq!(get(&root_viewer, &root, &sims[3]).await, 200);
    assert_eq!(get(&stranger, &root, &sims[0]).await, 404);

    assert_eq!(
        iccids(&list(&root_viewer, &root, &format!("?company_id={branch}")).await),
        [sims[0].clone(), sims[1].clone()]
    );
    assert_eq!(
        iccids(&list(&root_viewer, &root, "?label=even").await),
        [sims[0].clone(), sims[2].clone()]
    );
    assert_eq!(
        iccids(&list(&root_viewer, &root, &format!("?end_user_id={}", end_user.id)).await),
        [sims[0].clone()]
    );
    assert_eq!(
        iccids(&list(&root_viewer, &root, "?status=active").await),
        Vec::<String>::new()
    );
    let activated = world
        .call(
            "POST",
            &format!("{}/{}/activate", sims_path(&root), sims[1]),
            owner.token(),
            None,
        )
        .await;
    assert_eq!(activated.status, 200, "{activated:?}");
    assert_eq!(
        iccids(&list(&root_viewer, &root, "?status=active").await),
        [sims[1].clone()]
    );
    assert_eq!(
        iccids(&list(&branch_viewer, &branch, "?status=inventory").await),
        [sims[0].clone()]
    );
    assert_eq!(list(&root_viewer, &root, "?status=lost").await.status, 422);

    let summary = world
        .call(
            "GET",
            &format!("{}/summary", sims_path(&root)),
            root_viewer.token(),
            None,
        )
        .await;
    assert_eq!(summary.status, 200, "{summary:?}");
    assert_eq!(summary.body["total"], 4);
    let count = |body: &Value, company: Value, status: &str| {
        body["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|row| row["company_id"] == company && row["status"] == status)
            .map_or(0, |row| row["count"].as_i64().unwrap())
    };
    assert_eq!(count(&summary.body, json!(branch), "inventory"), 1);
    assert_eq!(count(&summary.body, json!(branch), "active"), 1);
    assert_eq!(count(&summary.body, json!(sibling), "inventory"), 1);
    assert_eq!(count(&summary.body, Value::Null, "inventory"), 1);
    let branch_summary = world
        .call(
            "GET",
            &format!("{}/summary", sims_path(&branch)),
            branch_viewer.token(),
            None,
        )
        .await;
    assert_eq!(
        branch_summary.body["total"], 2,
        "a company counts its own: {branch_summary:?}"
    );
    assert_eq!(
        world
            .call(
                "GET",
                &format!("{}/summary", sims_path(&branch)),
                end_user.token(),
                None
            )
            .await
            .status,
        403,
        "end users see no counts"
    );
}

async fn filters_naming_another_organisations_company_or_end_user_read_nothing_of_them(world: &World) {
    let Estate {
        owner: victim,
        root: victims_root,
        branch: victims_branch,
        end_user,
        ..
    } = estate(world).await;
    let attacker = world.person("attacker").await;
    let own_root = organisation(world, &attacker, "Attacker").await;
    let own_branch = company(world, &attacker, &own_root, "Front").await;
    add(world, &attacker, &own_branch, &end_user, &["member"]).await;
    assert_eq!(
        add_sim(world, &attacker, &own_root, json!({ "iccid": iccid(90) }))
            .await
            .status,
        201
    );
    for query in [
        format!("?company_id={victims_branch}&limit=1"),
        format!("?end_user_id={}&limit=1", end_user.id),
    ] {
        let listed = world
            .call(
                "GET",
                &format!("{}{query}", sims_path(&own_root)),
                attacker.token(),
                None,
            )
            .await;
        assert_eq!(listed.status, 200, "{listed:?}");
        assert_eq!(
            (listed.body["items"].clone(), listed.body["next_cursor"].clone()),
            (json!([]), Value::Null),
            "{query}: nothing of the other organisation, not even a cursor"
        );
    }
    let through_company = world
        .call(
            "GET",
            &format!("{}?end_user_id={}", sims_path(&own_branch), end_user.id),
            attacker.token(),
            None,
        )
        .await;
    assert_eq!(
        iccids(&through_company),
        Vec::<String>::new(),
        "the shared end user's other SIMs stay hidden"
    );
    let bulk = world
        .call(
            "POST",
            &format!("{}/bulk", sims_path(&own_root)),
            attacker.token(),
            Some(json!({ "action": "suspend", "filter": { "company_id": victims_branch } })),
        )
        .await;
    assert_eq!(bulk.code(), "inconsistent", "{bulk:?}");
    let untouched = world
        .call(
            "GET",
            &format!("{}?status=inventory", sims_path(&victims_root)),
            victim.token(),
            None,
        )
        .await;
    assert_eq!(untouched.body["items"].as_array().unwrap().len(), 4);
}
