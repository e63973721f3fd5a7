//! What an end user leaves behind (issue 21, L3): leaving a company, or being removed from it,
//! releases the SIMs and devices assigned to them there. The company keeps them, unassigned;
//! a claimed SIM keeps its printed code, so whoever holds the card next can claim it again.
//!
//! The pointers in the end user's partition (`USERSIMS#…`, `USERDEVICES#…`) find them; each is
//! released with a condition that it is still theirs, a transaction per few, before the
//! membership ends (so a crash in between leaves a member with fewer things, never things
//! assigned to someone who is no member).

use super::Tenancy;
use crate::error::DomainResult;
use crate::ids::{OrganisationId, UserId};
use crate::keys;
use crate::store::{Condition, Index, Item, Key, Query, SortCondition, StoreError, Update, Write};
use serde_json::{Value, json};

/// Things released per transaction: each is an update and a pointer's deletion.
const RELEASED_PER_TRANSACTION: usize = 45;

/// The two kinds of things assigned to an end user, by how their pointers and items are keyed.
#[derive(Clone, Copy)]
enum Assigned {
    Sims,
    Devices,
}

impl Assigned {
    fn partition(self, root: OrganisationId, user: UserId) -> String {
        match self {
            Assigned::Sims => keys::end_user_sims_partition(root, user),
            Assigned::Devices => keys::end_user_devices_partition(root, user),
        }
    }

    /// The item a pointer names, and the update that releases it from `user`.
    fn release(self, root: OrganisationId, user: UserId, pointer: &Item) -> Option<Write> {
        let key: Key = match self {
            Assigned::Sims => {
                let iccid = pointer.attribute("iccid")?.as_str()?;
                keys::sim(root, &crate::telecom::Iccid::parse(iccid, "iccid").ok()?)
            }
            Assigned::Devices => {
                let device: crate::ids::DeviceId =
                    serde_json::from_value(pointer.attribute("device_id")?.clone()).ok()?;
                keys::device(device)
            }
        };
        let mut update = Update::new(key)
            .set("end_user_id", Value::Null)
            .when(Condition::AttributeEquals("end_user_id".into(), json!(user)));
        if matches!(self, Assigned::Sims) {
            update = update.set("claimed_at", Value::Null);
        }
        Some(Write::Update(update))
    }
}

impl Tenancy {
    /// Releases the SIMs and devices `user` holds in `company` of `root`.
    pub(crate) async fn release_end_user(
        &self,
        root: OrganisationId,
        company: OrganisationId,
        user: UserId,
    ) -> DomainResult<()> {
        for assigned in [Assigned::Sims, Assigned::Devices] {
            let mut cursor = None;
            loop {
                let page = self
                    .store
                    .query(
                        &Query::new(Index::Table, assigned.partition(root, user))
                            .sort(SortCondition::BeginsWith(keys::end_user_sims_in(company)))
                            .limit(crate::store::MAX_PAGE)
                            .after(cursor),
                    )
                    .await?;
                for pointers in page.items.chunks(RELEASED_PER_TRANSACTION) {
                    self.release(assigned, root, user, pointers).await?;
                }
                match page.next {
                    Some(next) => cursor = Some(next),
                    None => break,
                }
            }
        }
        Ok(())
    }

    /// Releases what `pointers` name, together; what changed meanwhile (released or moved by
    /// someone else) is left as it is, its pointer removed all the same.
    async fn release(
        &self,
        assigned: Assigned,
        root: OrganisationId,
        user: UserId,
        pointers: &[Item],
    ) -> DomainResult<()> {
        let pairs: Vec<(Option<Write>, Write)> = pointers
            .iter()
            .map(|pointer| {
                let gone = Write::Delete {
                    key: pointer.key.clone(),
                    condition: None,
                };
                (assigned.release(root, user, pointer), gone)
            })
            .collect();
        let together: Vec<Write> = pairs
            .iter()
            .flat_map(|(release, gone)| release.iter().cloned().chain([gone.clone()]))
            .collect();
        match self.store.transact(together).await {
            Ok(()) => Ok(()),
            Err(StoreError::ConditionFailed { .. }) => {
                for (release, gone) in pairs {
                    let writes: Vec<Write> = release.into_iter().chain([gone.clone()]).collect();
                    match self.store.transact(writes).await {
                        Ok(()) => {}
                        Err(StoreError::ConditionFailed { .. }) => self.store.transact(vec![gone]).await?,
                        Err(other) => return Err(other.into()),
                    }
                }
                Ok(())
            }
            Err(other) => Err(other.into()),
        }
    }
}
