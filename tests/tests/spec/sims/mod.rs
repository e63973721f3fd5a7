//! SIM cards (SPEC §6, issue 12), end to end through both entry points: contracts and plans,
//! ICCIDs unique within a root, who sees which SIM, assignment, the lifecycle through operator
//! connectors, and imports.
//!
//! The Givens the SIM specs share live here: ICCIDs, a root's SIMs path, a contract, and an
//! estate of a root with SIMs in every position.

mod assignment;
mod bulk;
mod claims;
mod contracts;
mod imports;
mod lifecycle;
mod reach;
mod records;
mod story;
mod usage;

use crate::organisations::{add, company, organisation};
use crate::world::{Person, Reply, World};
use serde_json::{Value, json};

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
