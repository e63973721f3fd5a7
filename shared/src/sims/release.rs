//! What an end user leaves behind (issue 21, L3): leaving a company, or being removed from it,
//! releases the SIMs and devices assigned to them there. The company keeps them, unassigned.
//! A released SIM loses the code it was claimed with: the person removed still holds that
//! code, and must not claim their way back in; the owner prints a new one for whoever holds
//! the card next.
//!
//! The pointers in the end user's partition (`USERSIMS#…`, `USERDEVICES#…`) find them; each is
//! released with a condition that it is still theirs, a transaction per few, before the
//! membership ends (so a crash in between leaves a member with fewer things, never things
//! assigned to someone who is no member).

use super::Sim;
use super::records::{code_pointer_writes, sim_write};
use crate::error::DomainResult;
use crate::identity::Identity;
use crate::ids::{OrganisationId, UserId};
use crate::keys;
use crate::ports::{Clock, Store};
use crate::store::{Condition, Index, Item, Key, Query, SortCondition, StoreError, Update, Write};
use crate::tenancy::{Departing, EndUserHoldings, with_retries};
use crate::time::Timestamp;
use async_trait::async_trait;
use serde_json::{Value, json};
use std::sync::Arc;

/// Things released per transaction: a SIM is its item, its end-user pointer and its code's
/// pointer; a device its item and its pointer.
const RELEASED_PER_TRANSACTION: usize = 30;

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

    /// The item a pointer names.
    fn target(self, root: OrganisationId, pointer: &Item) -> Option<Key> {
        match self {
            Assigned::Sims => {
                let iccid = pointer.attribute("iccid")?.as_str()?;
                Some(keys::sim(root, &crate::telecom::Iccid::parse(iccid, "iccid").ok()?))
            }
            Assigned::Devices => {
                let device: crate::ids::DeviceId =
                    serde_json::from_value(pointer.attribute("device_id")?.clone()).ok()?;
                Some(keys::device(device))
            }
        }
    }
}
/// Releases what end users hold, on the store: handed to tenancy, whose departures call it.
pub struct EndUserRelease {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
}

#[async_trait]
impl EndUserHoldings for EndUserRelease {
    async fn release(&self, departing: &Departing) -> DomainResult<()> {
        self.release_end_user(departing.root, departing.company, departing.user)
            .await
    }
}

impl EndUserRelease {
    /// The release tenancy is built with, on identity's store and clock.
    pub fn on(identity: &Identity) -> Arc<dyn EndUserHoldings> {
        Arc::new(Self {
            store: identity.store.clone(),
            clock: identity.clock.clone(),
        })
    }

    fn now(&self) -> Timestamp {
        Timestamp::new(self.clock.now())
    }

    /// Releases the SIMs and devices `user` holds in `company` of `root`.
    async fn release_end_user(&self, root: OrganisationId, company: OrganisationId, user: UserId) -> DomainResult<()> {
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
                    self.release_pointed(assigned, root, user, pointers).await?;
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
    async fn release_pointed(
        &self,
        assigned: Assigned,
        root: OrganisationId,
        user: UserId,
        pointers: &[Item],
    ) -> DomainResult<()> {
        let targets: Vec<Option<Key>> = pointers.iter().map(|pointer| assigned.target(root, pointer)).collect();
        let releases: Vec<Vec<Write>> = match assigned {
            Assigned::Sims => {
                let wanted: Vec<Key> = targets.iter().flatten().cloned().collect();
                let mut found = self.store.batch_get(&wanted).await?.into_iter();
                let mut releases = Vec::new();
                for target in &targets {
                    let item = if target.is_some() { found.next().flatten() } else { None };
                    releases.push(match item {
                        Some(item) => released_sim(&item.record::<Sim>()?, item.version, user, self.now()),
                        None => vec![],
                    });
                }
                releases
            }
            Assigned::Devices => targets
                .iter()
                .map(|target| {
                    target
                        .iter()
                        .map(|key| {
                            Write::Update(
                                Update::new(key.clone())
                                    .set("end_user_id", Value::Null)
                                    .when(Condition::AttributeEquals("end_user_id".into(), json!(user))),
                            )
                        })
                        .collect()
                })
                .collect(),
        };
        let pairs: Vec<(Vec<Write>, Write)> = pointers
            .iter()
            .zip(releases)
            .map(|(pointer, release)| {
                let gone = Write::Delete {
                    key: pointer.key.clone(),
                    condition: None,
                };
                (release, gone)
            })
            .collect();
        let together: Vec<Write> = pairs
            .iter()
            .flat_map(|(release, gone)| release.iter().cloned().chain([gone.clone()]))
            .collect();
        match self.store.transact(together).await {
            Ok(()) => Ok(()),
            // Something changed meanwhile: one by one, each read afresh.
            Err(StoreError::ConditionFailed { .. }) => {
                for ((_, gone), target) in pairs.into_iter().zip(targets) {
                    with_retries(|| self.release_one(assigned, target.clone(), user, gone.clone())).await?;
                }
                Ok(())
            }
            Err(other) => Err(other.into()),
        }
    }

    /// Releases one thing from `user` as it is now, and removes its pointer (`gone`): only
    /// the pointer when it is no longer theirs.
    async fn release_one(
        &self,
        assigned: Assigned,
        target: Option<Key>,
        user: UserId,
        gone: Write,
    ) -> DomainResult<()> {
        let Some(key) = target else {
            return Ok(self.store.transact(vec![gone]).await?);
        };
        let mut writes = match assigned {
            Assigned::Sims => match self.store.get(&key).await? {
                Some(item) => released_sim(&item.record::<Sim>()?, item.version, user, self.now()),
                None => vec![],
            },
            Assigned::Devices => match self.store.get(&key).await? {
                Some(item) if item.attribute("end_user_id") == Some(&json!(user)) => {
                    vec![Write::Update(
                        Update::new(key)
                            .set("end_user_id", Value::Null)
                            .when(Condition::VersionIs(item.version)),
                    )]
                }
                _ => vec![],
            },
        };
        writes.push(gone);
        Ok(self.store.transact(writes).await?)
    }
}

/// The writes that release `sim` from `user`: unassigned, unclaimed, its code gone with the
/// code's pointer (nothing when it is no longer theirs). The end user's pointer goes with
/// every release.
fn released_sim(sim: &Sim, version: u64, user: UserId, now: Timestamp) -> Vec<Write> {
    if sim.end_user_id != Some(user) {
        return vec![];
    }
    let released = Sim {
        end_user_id: None,
        claimed_at: None,
        activation_code_digest: None,
        updated_at: now,
        ..sim.clone()
    };
    let mut writes = vec![sim_write(&released, Some(version))];
    writes.extend(code_pointer_writes(sim, &released));
    writes
}
