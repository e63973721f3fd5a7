//! SIM cards (SPEC §6, issue 12), end to end through both entry points: contracts and plans,
//! ICCIDs unique within a root, who sees which SIM, assignment, the lifecycle through operator
//! connectors, and imports.

mod bulk;
mod claims;
mod imports;
mod story;
mod usage;

use crate::organisations::{add, company, organisation};
use crate::world::{Person, Reply, World};
use serde_json::{Value, json};

both_entry_points!(
    owners_keep_contracts_and_plans_and_their_staff_read_them,
    an_iccid_is_unique_within_a_root_and_another_roots_holding_changes_nothing,
    root_staff_see_every_sim_company_staff_their_companys_and_an_end_user_their_own,
    assignment_needs_a_company_of_the_organisation_and_a_member_of_that_company,
    the_lifecycle_runs_inventory_active_suspended_terminated_and_terminated_is_final,
    an_asynchronous_operator_leaves_a_sim_pending_until_it_reports_back,
    a_sim_changes_only_at_the_version_read,
    filters_naming_another_organisations_company_or_end_user_read_nothing_of_them,
);

/// A valid ICCID: `8949` and `n` in 14 digits, with its Luhn check digit (19 digits).
pub fn iccid(n: u64) -> String {
    let payload = format!("8949{n:014}");
    let sum: u32 = payload
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 0 {
                let twice = d * 2;
                if twice > 9 { twice - 9 } else { twice }
            } else {
                d
            }
        })
        .sum();
    format!("{payload}{}", (10 - sum % 10) % 10)
}

pub fn sims_path(organisation: &str) -> String {
    format!("/api/organisations/{organisation}/sims")
}

pub async fn add_sim(world: &World, owner: &Person, organisation: &str, body: Value) -> Reply {
    world
        .call("POST", &sims_path(organisation), owner.token(), Some(body))
        .await
}

async fn contract(world: &World, owner: &Person, organisation: &str, integration: &str) -> String {
    let created = world
        .call(
            "POST",
            &format!("/api/organisations/{organisation}/operator-contracts"),
            owner.token(),
            Some(json!({
                "operator_name": "Telefónica", "country": "de", "mcc": "262", "mnc": "07",
                "contract_reference": "TEF-2026-001", "valid_from": "2026-01-01", "integration": integration
            })),
        )
        .await;
    assert_eq!(created.status, 201, "{created:?}");
    created.body["id"].as_str().unwrap().to_owned()
}

fn plan_body(name: &str) -> Value {
    json!({ "name": name, "data_mb": 1024, "sms": 100, "voice_minutes": 60, "billing_period": "monthly", "price_minor": 499, "currency": "eur" })
}

fn iccids(reply: &Reply) -> Vec<String> {
    let mut found: Vec<String> = reply.body["items"]
        .as_array()
        .unwrap_or_else(|| panic!("a list: {reply:?}"))
        .iter()
        .map(|sim| sim["iccid"].as_str().unwrap().to_owned())
        .collect();
    found.sort();
    found
}

async fn owners_keep_contracts_and_plans_and_their_staff_read_them(world: &World) {
    let ada = world.person("ada").await;
    let vic = world.person("vic").await;
    let root = organisation(world, &ada, "Fleet GmbH").await;
    let branch = company(world, &ada, &root, "Branch").await;
    add(world, &ada, &root, &vic, &["viewer"]).await;
    let contracts = format!("/api/organisations/{root}/operator-contracts");

    let invalid = world
        .call(
            "POST",
            &contracts,
            ada.token(),
            Some(json!({
                "operator_name": "X", "country": "zz", "mcc": "26", "mnc": "7",
                "contract_reference": "R", "valid_from": "2027-01-01", "valid_to": "2026-01-01", "integration": "acme"
            })),
        )
        .await;
    assert_eq!(invalid.status, 422, "{invalid:?}");
    let mut fields: Vec<(String, String)> = invalid.field_errors();
    fields.sort();
    assert_eq!(
        fields,
        [
            ("country", "invalid_country"),
            ("integration", "unknown_connector"),
            ("mcc", "invalid_mcc"),
            ("mnc", "invalid_mnc"),
            ("valid_to", "before_valid_from"),
        ]
        .map(|(f, c)| (f.to_owned(), c.to_owned()))
    );

    let id = contract(world, &ada, &root, "none").await;
    let path = format!("{contracts}/{id}");
    let read = world.call("GET", &path, vic.token(), None).await;
    assert_eq!(read.status, 200, "a viewer reads contracts");
    assert_eq!(
        (read.body["country"].as_str(), read.body["mnc"].as_str()),
        (Some("DE"), Some("07"))
    );
    let etag = read.headers["etag"].clone();
    assert_eq!(
        world
            .call(
                "PATCH",
                &path,
                vic.token(),
                Some(json!({ "contract_reference": "mine" }))
            )
            .await
            .status,
        403,
        "a viewer writes none"
    );
    let patched = world
        .call_with(
            "PATCH",
            &path,
            &[
                ("authorization", &format!("Bearer {}", ada.access)),
                ("if-match", &etag),
            ],
            Some(json!({ "valid_to": "2028-12-31" })),
        )
        .await;
    assert_eq!(patched.status, 200, "{patched:?}");
    assert_eq!(patched.body["valid_to"], "2028-12-31");
    let stale = world
        .call_with(
            "PATCH",
            &path,
            &[
                ("authorization", &format!("Bearer {}", ada.access)),
                ("if-match", &etag),
            ],
            Some(json!({ "valid_to": "2029-12-31" })),
        )
        .await;
    assert_eq!(stale.status, 412, "{stale:?}");
    let listed = world.call("GET", &contracts, vic.token(), None).await;
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 1);

    let on_company = world
        .call(
            "POST",
            &format!("/api/organisations/{branch}/operator-contracts"),
            ada.token(),
            Some(
                json!({ "operator_name": "X", "country": "de", "mcc": "262", "mnc": "01", "contract_reference": "R" }),
            ),
        )
        .await;
    assert_eq!((on_company.status, on_company.code()), (409, "root_only"));

    let root_plan = world
        .call(
            "POST",
            &format!("/api/organisations/{root}/plans"),
            ada.token(),
            Some(plan_body("Basic")),
        )
        .await;
    assert_eq!(root_plan.status, 201, "{root_plan:?}");
    assert_eq!(root_plan.body["currency"], "EUR");
    let company_plan = world
        .call(
            "POST",
            &format!("/api/organisations/{branch}/plans"),
            ada.token(),
            Some(plan_body("Branch special")),
        )
        .await;
    assert_eq!(
        company_plan.status, 201,
        "a company has plans of its own: {company_plan:?}"
    );
    let bad_plan = world
        .call(
            "POST",
            &format!("/api/organisations/{root}/plans"),
            ada.token(),
            Some(json!({ "name": "X", "data_mb": -1, "sms": 0, "voice_minutes": 0, "billing_period": "weekly", "price_minor": 0, "currency": "EUR" })),
        )
        .await;
    assert_eq!(bad_plan.status, 422, "{bad_plan:?}");
    let company_plans = world
        .call("GET", &format!("/api/organisations/{branch}/plans"), ada.token(), None)
        .await;
    assert_eq!(
        company_plans.body["items"][0]["name"], "Branch special",
        "a company lists its own plans"
    );
}

async fn an_iccid_is_unique_within_a_root_and_another_roots_holding_changes_nothing(world: &World) {
    let ada = world.person("ada").await;
    let eve = world.person("eve").await;
    let fleet = organisation(world, &ada, "Fleet").await;
    let rival = organisation(world, &eve, "Rival").await;
    let number = iccid(1);

    let typed = format!("{} {} {}F", &number[..6], &number[6..12], &number[12..]);
    let added = add_sim(world, &ada, &fleet, json!({ "iccid": typed, "labels": ["eu", "eu"] })).await;
    assert_eq!(added.status, 201, "{added:?}");
    assert_eq!(
        added.body["iccid"],
        number.as_str(),
        "spaces and the trailing F are dropped"
    );
    assert_eq!(added.body["status"], "inventory");
    assert_eq!(added.body["labels"], json!(["eu"]));

    let elsewhere = add_sim(world, &eve, &rival, json!({ "iccid": number })).await;
    assert_eq!(
        (elsewhere.status, elsewhere.body["organisation_id"].clone()),
        (201, json!(rival)),
        "another root's holding answers nothing: {elsewhere:?}"
    );
    let own_again = add_sim(world, &ada, &fleet, json!({ "iccid": number })).await;
    assert_eq!(
        (own_again.status, own_again.code()),
        (409, "iccid_taken"),
        "unique within the root"
    );
    let ours = world
        .call("GET", &format!("{}/{number}", sims_path(&fleet)), ada.token(), None)
        .await;
    assert_eq!(
        ours.body["labels"],
        json!(["eu"]),
        "Ada's SIM is as she added it: {ours:?}"
    );
    let not_hers = world
        .call("GET", &format!("{}/{number}", sims_path(&fleet)), eve.token(), None)
        .await;
    assert_eq!(
        not_hers.status, 404,
        "another organisation's SIM does not exist for eve"
    );

    let bad = add_sim(
        world,
        &ada,
        &fleet,
        json!({ "iccid": "89490000000000000010", "imsi": "12", "msisdn": "0151 234" }),
    )
    .await;
    assert_eq!(bad.status, 422);
    let mut fields = bad.field_errors();
    fields.sort();
    assert_eq!(
        fields,
        [
            ("iccid", "invalid_check_digit"),
            ("imsi", "invalid_imsi"),
            ("msisdn", "invalid_msisdn")
        ]
        .map(|(f, c)| (f.to_owned(), c.to_owned()))
    );
}

/// A root with two companies, an end user in one, and SIMs in every position.
struct Estate {
    owner: Person,
    root: String,
    branch: String,
    sibling: String,
    end_user: Person,
    /// Assigned to the branch and its end user; to the branch; unassigned; to the sibling.
    sims: [String; 4],
}

async fn estate(world: &World) -> Estate {
    let owner = world.person("owner").await;
    let end_user = world.person("enduser").await;
    let root = organisation(world, &owner, "Fleet").await;
    let branch = company(world, &owner, &root, "Branch").await;
    let sibling = company(world, &owner, &root, "Sibling").await;
    add(world, &owner, &branch, &end_user, &["member"]).await;
    let sims = [iccid(11), iccid(12), iccid(13), iccid(14)];
    for (n, number) in sims.iter().enumerate() {
        let label = if n % 2 == 0 { "even" } else { "odd" };
        let added = add_sim(world, &owner, &root, json!({ "iccid": number, "labels": [label] })).await;
        assert_eq!(added.status, 201, "{added:?}");
    }
    for (number, company, user) in [
        (&sims[0], &branch, Some(&end_user.id)),
        (&sims[1], &branch, None),
        (&sims[3], &sibling, None),
    ] {
        let assigned = world
            .call(
                "PUT",
                &format!("{}/{number}/assignment", sims_path(&root)),
                owner.token(),
                Some(json!({ "company_id": company, "end_user_id": user })),
            )
            .await;
        assert_eq!(assigned.status, 200, "{assigned:?}");
    }
    Estate {
        owner,
        root,
        branch,
        sibling,
        end_user,
        sims,
    }
}

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

async fn the_lifecycle_runs_inventory_active_suspended_terminated_and_terminated_is_final(world: &World) {
    let ada = world.person("ada").await;
    let vic = world.person("vic").await;
    let root = organisation(world, &ada, "Fleet").await;
    add(world, &ada, &root, &vic, &["operator"]).await;
    let number = iccid(21);
    assert_eq!(
        add_sim(
            world,
            &ada,
            &root,
            json!({ "iccid": number, "termination_protection": true })
        )
        .await
        .status,
        201
    );
    let act = |who: &Person, action: &str| {
        let path = format!("{}/{number}/{action}", sims_path(&root));
        let token = who.access.clone();
        async move { world.call("POST", &path, Some(&token), None).await }
    };
    assert_eq!(act(&vic, "activate").await.status, 403, "operators do not manage SIMs");
    let suspended_early = act(&ada, "suspend").await;
    assert_eq!(
        (suspended_early.status, suspended_early.code()),
        (409, "invalid_transition")
    );
    assert_eq!(act(&ada, "activate").await.body["status"], "active");
    assert_eq!(act(&ada, "suspend").await.body["status"], "suspended");
    assert_eq!(act(&ada, "activate").await.body["status"], "active");
    let protected = act(&ada, "terminate").await;
    assert_eq!((protected.status, protected.code()), (409, "termination_protected"));
    let unprotect = world
        .call(
            "PATCH",
            &format!("{}/{number}", sims_path(&root)),
            ada.token(),
            Some(json!({ "termination_protection": false })),
        )
        .await;
    assert_eq!(unprotect.status, 200, "{unprotect:?}");
    assert_eq!(act(&ada, "terminate").await.body["status"], "terminated");
    for action in ["activate", "suspend", "terminate"] {
        let after = act(&ada, action).await;
        assert_eq!((after.status, after.code()), (409, "terminated"), "{action}");
    }
    let audit = world
        .call("GET", &format!("/api/organisations/{root}/audit"), ada.token(), None)
        .await;
    let actions: Vec<&str> = audit.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|event| event["action"].as_str())
        .filter(|action| action.starts_with("sim."))
        .collect();
    assert_eq!(
        actions,
        [
            "sim.terminate_done",
            "sim.changed",
            "sim.activate_done",
            "sim.suspend_done",
            "sim.activate_done",
            "sim.added"
        ],
        "every change is audited, newest first"
    );
}

async fn an_asynchronous_operator_leaves_a_sim_pending_until_it_reports_back(world: &World) {
    let ada = world.person("ada").await;
    let root = organisation(world, &ada, "Fleet").await;
    let asynchronous = contract(world, &ada, &root, "test-async").await;
    let refusing = contract(world, &ada, &root, "test-refusing").await;
    let (slow, refused) = (iccid(31), iccid(32));
    for (number, contract) in [(&slow, &asynchronous), (&refused, &refusing)] {
        let added = add_sim(world, &ada, &root, json!({ "iccid": number, "contract_id": contract })).await;
        assert_eq!(added.status, 201, "{added:?}");
    }
    let act = |number: &str, action: &str| {
        let path = format!("{}/{number}/{action}", sims_path(&root));
        let token = ada.access.clone();
        async move { world.call("POST", &path, Some(&token), None).await }
    };

    let requested = act(&slow, "activate").await;
    assert_eq!(requested.body["status"], "activation_pending", "{requested:?}");
    let meanwhile = act(&slow, "terminate").await;
    assert_eq!((meanwhile.status, meanwhile.code()), (409, "change_pending"));
    let iccid = stratum_shared::telecom::Iccid::parse(&slow, "iccid").unwrap();
    let root_id = stratum_shared::ids::OrganisationId::parse(&root, "id").unwrap();
    world.sims.settle(root_id, &iccid, true).await.unwrap();
    let read = world
        .call("GET", &format!("{}/{slow}", sims_path(&root)), ada.token(), None)
        .await;
    assert_eq!(read.body["status"], "active", "the operator reported success");
    assert_eq!(act(&slow, "suspend").await.body["status"], "suspension_pending");
    world.sims.settle(root_id, &iccid, false).await.unwrap();
    let read = world
        .call("GET", &format!("{}/{slow}", sims_path(&root)), ada.token(), None)
        .await;
    assert_eq!(read.body["status"], "active", "a failed change goes back");

    let down = act(&refused, "activate").await;
    assert_eq!((down.status, down.code()), (409, "operator_refused"), "{down:?}");
    let read = world
        .call("GET", &format!("{}/{refused}", sims_path(&root)), ada.token(), None)
        .await;
    assert_eq!(read.body["status"], "inventory", "nothing changed");
}

async fn a_sim_changes_only_at_the_version_read(world: &World) {
    let ada = world.person("ada").await;
    let root = organisation(world, &ada, "Fleet").await;
    let number = iccid(41);
    let added = add_sim(world, &ada, &root, json!({ "iccid": number })).await;
    let etag = added.headers["etag"].clone();
    let path = format!("{}/{number}", sims_path(&root));
    let patch = |imsi: &'static str| {
        let (path, etag, token) = (path.clone(), etag.clone(), format!("Bearer {}", ada.access));
        async move {
            world
                .call_with(
                    "PATCH",
                    &path,
                    &[("authorization", &token), ("if-match", &etag)],
                    Some(json!({ "imsi": imsi, "msisdn": "+49 151 2345678" })),
                )
                .await
        }
    };
    let replies = crate::world::join_all([patch("262011234567890"), patch("262019876543210")].into_iter()).await;
    let mut statuses: Vec<u16> = replies.iter().map(|reply| reply.status).collect();
    statuses.sort();
    assert_eq!(statuses, [200, 412], "one change wins; the other read a stale version");
    let winner = replies.iter().find(|reply| reply.status == 200).unwrap();
    assert_eq!(winner.body["msisdn"], "+491512345678");
    let cleared = world
        .call("PATCH", &path, ada.token(), Some(json!({ "imsi": null })))
        .await;
    assert_eq!(cleared.body["imsi"], Value::Null, "null clears a field");
    assert_eq!(cleared.body["msisdn"], "+491512345678", "absent leaves one alone");
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
