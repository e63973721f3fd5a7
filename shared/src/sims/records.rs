//! A SIM's item and the pointers that follow it (by ICCID, by end user, by activation code),
//! written in the transaction of every change to it.

use super::Sim;
use crate::error::DomainError;
use crate::keys;
use crate::store::{Condition, Item, Write};
use serde_json::json;

/// organisation and, when assigned, its company, by status then ICCID.
pub(crate) fn sim_write(sim: &Sim, version: Option<u64>) -> Write {
    let mut item = Item::from_record(keys::sim(sim.organisation_id, &sim.iccid), sim).with_gsi1(
        keys::sim_of_organisation(sim.organisation_id, sim.status.as_str(), &sim.iccid),
    );
    if let Some(company) = sim.company_id {
        item = item.with_gsi2(keys::sim_of_company(company, sim.status.as_str(), &sim.iccid));
    }
    item.version = version.map_or(1, |v| v + 1);
    let condition = match version {
        Some(version) => Condition::VersionIs(version),
        None => Condition::NotExists,
    };
    Write::Put {
        item,
        condition: Some(condition),
    }
}

/// The writes that move a SIM's end-user pointer from where `before` had it to where `after`
/// has it (none when the end user and company stay).
pub(crate) fn pointer_writes(before: &Sim, after: &Sim) -> Vec<Write> {
    let pointer = |sim: &Sim| {
        Some(keys::end_user_sim(
            sim.organisation_id,
            sim.end_user_id?,
            sim.company_id?,
            &sim.iccid,
        ))
    };
    let (old, new) = (pointer(before), pointer(after));
    if old == new {
        return vec![];
    }
    let mut writes: Vec<Write> = old
        .map(|key| Write::Delete { key, condition: None })
        .into_iter()
        .collect();
    if let Some(key) = new {
        writes.push(Write::Put {
            item: Item::from_record(key, &json!({ "iccid": after.iccid })),
            condition: None,
        });
    }
    writes
}

/// The answer to adding an ICCID the organisation holds already.
pub(crate) fn iccid_taken() -> DomainError {
    DomainError::conflict("iccid_taken", "a SIM with this ICCID is already registered")
}

/// Another root became an ICCID's first holder between the read and the write: planned again.
pub(crate) fn holding_raced() -> DomainError {
    DomainError::conflict("holding_raced", "another organisation added this ICCID meanwhile")
}

/// Attempts at adding SIMs whose ICCIDs other roots are adding at the same moment.
pub(crate) const HOLDING_ATTEMPTS: usize = 5;

/// The writes that keep a SIM's activation-code pointer in step with its code: the pointer
/// of the code it had goes, the pointer of the code it gets comes (a claim names no
/// organisation; the pointer finds the one SIM its code was printed for).
pub(crate) fn code_pointer_writes(before: &Sim, after: &Sim) -> Vec<Write> {
    if before.activation_code_digest == after.activation_code_digest {
        return vec![];
    }
    let mut writes: Vec<Write> = before
        .activation_code_digest
        .iter()
        .map(|digest| Write::Delete {
            key: keys::activation_code(digest),
            condition: None,
        })
        .collect();
    if let Some(digest) = &after.activation_code_digest {
        let pointer = json!({ "organisation_id": after.organisation_id, "iccid": after.iccid });
        writes.push(Write::Put {
            item: crate::store::Item::from_record(keys::activation_code(digest), &pointer),
            condition: None,
        });
    }
    writes
}
