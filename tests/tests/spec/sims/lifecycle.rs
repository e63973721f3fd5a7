//! A SIM's lifecycle through the operator connectors: inventory, active, suspended and
//! terminated for good, every change audited; an asynchronous operator leaves a SIM pending
//! until it reports back, and a refusing one changes nothing.

use super::{add_sim, contract, iccid, sims_path};
use crate::organisations::{add, organisation};
use crate::world::{Person, World};
use serde_json::json;

both_entry_points!(
    the_lifecycle_runs_inventory_active_suspended_terminated_and_terminated_is_final,
    an_asynchronous_operator_leaves_a_sim_pending_until_it_reports_back,
);

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
