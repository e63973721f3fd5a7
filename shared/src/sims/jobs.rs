//! Bulk jobs (SPEC §6): a large import runs as a job of chunks handed to a queue — SQS and the
//! `sims-import` worker on AWS, a task in the local process — each chunk processed once,
//! its per-row report and the job's counts written in one transaction, so a redelivered
//! chunk changes nothing. Jobs and their reports expire after [`JOB_RETENTION_DAYS`].

use super::{Sims, sim_scope};
use crate::error::DomainResult;
use crate::identity::Principal;
use crate::ids::{JobId, OrganisationId};
use crate::jobs::{JobKind, JobView, job_view};
use crate::store::Cursor;
use crate::tenancy::ManageSims;

impl Sims {
    /// A job of the organisation, of `kind`, with a page of its report.
    pub async fn job(
        &self,
        principal: &Principal,
        organisation_id: OrganisationId,
        kind: JobKind,
        job_id: JobId,
        limit: u32,
        cursor: Option<Cursor>,
    ) -> DomainResult<JobView> {
        let scope = sim_scope::<ManageSims>(&*self.store, principal, organisation_id).await?;
        job_view(&*self.store, kind, job_id, limit, cursor, |job| {
            job.organisation_id == Some(scope.root) && scope.company.is_none_or(|c| job.company_id == Some(c))
        })
        .await
    }
}
