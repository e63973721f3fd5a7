//! Who holds an ICCID (issue 21, item 4). An ICCID is unique within a root organisation, not
//! platform-wide: a root adding an ICCID another root holds gets exactly the answer a new one
//! gets, so nobody learns what another root holds, and a squatter never blocks the real
//! holder's import. The first root to add an ICCID is recorded (a put only if absent); a later
//! one records a duplicate beside it, which platform admins list. Whose SIM it really is, the
//! operator decides when the SIM is activated through its connector (docs/architecture.md).

use super::{Sim, Sims};
use crate::error::DomainResult;
use crate::identity::PlatformAdmin;
use crate::ids::OrganisationId;
use crate::keys;
use crate::store::{Condition, Cursor, Index, Item, Query, Write};
use crate::telecom::Iccid;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// An ICCID one root holds that another held first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SimDuplicate {
    pub iccid: Iccid,
    /// The root that added it later.
    pub organisation_id: OrganisationId,
    /// The root that held it first.
    pub first_organisation_id: OrganisationId,
    pub detected_at: Timestamp,
}

/// The root the first-holder item read names, if there is one.
pub(crate) fn first_holder(item: Option<&Item>) -> Option<OrganisationId> {
    item?
        .attribute("organisation_id")
        .and_then(|id| serde_json::from_value(id.clone()).ok())
}

/// What a new SIM of its root records of its ICCID's holding, given the first holder as read:
/// the first holding (only if still absent, so two roots racing cannot both be first), or the
/// duplicate of a later root.
pub(crate) fn holding_writes(sim: &Sim, first: Option<OrganisationId>, now: Timestamp) -> Vec<Write> {
    match first {
        None => vec![Write::Put {
            item: Item::from_record(
                keys::iccid_first_holder(&sim.iccid),
                &json!({ "organisation_id": sim.organisation_id }),
            ),
            condition: Some(Condition::NotExists),
        }],
        Some(first) if first == sim.organisation_id => vec![],
        Some(first) => {
            let duplicate = SimDuplicate {
                iccid: sim.iccid.clone(),
                organisation_id: sim.organisation_id,
                first_organisation_id: first,
                detected_at: now,
            };
            vec![Write::Put {
                item: Item::from_record(keys::sim_duplicate(&sim.iccid, sim.organisation_id), &duplicate),
                condition: None,
            }]
        }
    }
}

impl Sims {
    /// A page of the ICCIDs held by more than one root, by ICCID (platform admins).
    pub async fn duplicates(
        &self,
        _: &PlatformAdmin,
        limit: u32,
        cursor: Option<Cursor>,
    ) -> DomainResult<(Vec<SimDuplicate>, Option<Cursor>)> {
        let page = self
            .store
            .query(
                &Query::new(Index::Table, keys::SIM_DUPLICATES)
                    .limit(limit)
                    .after(cursor),
            )
            .await?;
        let duplicates = page.items.iter().map(Item::record).collect::<Result<_, _>>()?;
        Ok((duplicates, page.next))
    }
}
