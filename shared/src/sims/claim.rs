//! Claiming a SIM (seed 000's "Amazon Band"): an owner prints activation codes with the SIMs
//! of a company; whoever bought one claims it with ICCID + code and becomes an end user
//! (`member`) of that company, with the SIM assigned to them. Codes are shown once and stored
//! as digests; claims are throttled per person and per source, a wrong code and an unknown
//! ICCID answer the same 404, and only a signed-in person with a proven address claims.

use super::records::{code_pointer_writes, pointer_writes, sim_write};
use super::wire::SimView;
use super::{Sim, Sims, sim_scope};
use crate::accounts::{Role, UserKind};
use crate::audit::{AuditEvent, RequestContext};
use crate::error::{DomainError, DomainResult};
use crate::identity::{Membership, Organisation, Principal, Registration};
use crate::keys;
use crate::limits::Budget;
use crate::store::{Condition, Key, Update, Write};
use crate::telecom::{Iccid, SimStatus};
use crate::tenancy::ManageSims;
use crate::tenancy::founding::{Joining, join};
use crate::tenancy::organisations::counts_update;
use crate::unit_of_work::UnitOfWork;
use crate::validation::ValidationErrors;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// Codes one request generates at most.
pub const MAX_CODES: usize = 1_000;
/// Characters of a code (Crockford base32: 5 bits each, 60 bits in all).
const CODE_CHARS: usize = 12;
const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// Claims one person may attempt per hour: enough for a household, too few to guess a code.
pub const CLAIMS_PER_PERSON: Budget = Budget {
    name: "sim_claims",
    per_window: 10,
    window_seconds: 3600,
    code: "too_many_claims",
};

/// Claims one source address may attempt per hour.
pub const CLAIMS_PER_SOURCE: Budget = Budget {
    name: "sim_claims_per_source",
    per_window: 50,
    window_seconds: 3600,
    code: "too_many_claims",
};

/// `POST …/sims/activation-codes`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ActivationCodesRequest)]
pub struct ActivationCodesPayload {
    /// The SIMs to print codes for (assigned to a company, not claimed yet).
    #[schema(value_type = Vec<Iccid>, min_items = 1, max_items = 1000)]
    pub iccids: Vec<String>,
}

/// A new code: the only time it is shown.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ActivationCode {
    pub iccid: Iccid,
    pub activation_code: String,
}

/// An ICCID that got no code, and why: `not_found`, `unassigned` (no company to join),
/// `claimed`, `terminated`, `concurrent_change` (changed meanwhile: its old code stands).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct RefusedCode {
    pub iccid: String,
    pub code: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(as = ActivationCodes)]
pub struct ActivationCodes {
    pub items: Vec<ActivationCode>,
    pub refused: Vec<RefusedCode>,
}

/// `POST /api/sims/claim`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = SimClaim)]
pub struct ClaimPayload {
    #[schema(min_length = 1, max_length = 64)]
    pub iccid: String,
    /// As printed (`7KQ4-M2XD-9HTA`); case, spaces and dashes do not matter.
    #[schema(min_length = 1, max_length = 64)]
    pub activation_code: String,
}

/// A code from a random token: [`CODE_CHARS`] Crockford base32 characters in groups of four.
/// Each character takes 5 of the 6 random bits of one base64url character of `token`.
pub fn activation_code_from(token: &str) -> String {
    const BASE64URL: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let chars: Vec<char> = token
        .bytes()
        .filter_map(|byte| BASE64URL.iter().position(|b| *b == byte))
        .take(CODE_CHARS)
        .map(|value| char::from(CROCKFORD[value % 32]))
        .collect();
    chars
        .chunks(4)
        .map(|group| group.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

/// A code as typed, in the form its digest was taken of: upper case, no separators, and the
/// letters Crockford reads as digits (O → 0, I and L → 1).
pub fn normalise_code(typed: &str) -> String {
    typed
        .chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            other => other,
        })
        .collect()
}

/// The digest a code is stored under: an HMAC under a server key (a copy of the table alone
/// cannot test the 2⁶⁰ codes against it), bound to its ICCID, so one digest says nothing
/// about another SIM's code.
fn code_digest(secret_box: &dyn crate::ports::SecretBox, iccid: &Iccid, code: &str) -> DomainResult<String> {
    secret_box.mac(&format!("activation-code:{iccid}:{}", normalise_code(code)))
}

/// SIMs whose codes one transaction issues: each is the SIM, its old code's pointer and its
/// new one's, with one audit event besides.
const CODES_PER_TRANSACTION: usize = 33;

impl Sims {
    /// Generates an activation code for each SIM (replacing any earlier one); the codes are in
    /// the answer and nowhere else.
    pub async fn activation_codes(
        &self,
        principal: &Principal,
        context: &RequestContext,
        organisation_id: crate::ids::OrganisationId,
        iccids: &[String],
    ) -> DomainResult<ActivationCodes> {
        if iccids.is_empty() || iccids.len() > MAX_CODES {
            return Err(ValidationErrors::single("iccids", "out_of_range", format!("1 to {MAX_CODES} ICCIDs")).into());
        }
        let mut refused = Vec::new();
        let mut wanted: Vec<Iccid> = Vec::new();
        let mut errors = crate::validation::Collector::new();
        for (i, text) in iccids.iter().enumerate() {
            if let Some(iccid) = errors.check(Iccid::parse(text, &format!("iccids[{i}]")))
                && !wanted.contains(&iccid)
            {
                wanted.push(iccid);
            }
        }
        errors.finish(|| ())?;
        let scope = sim_scope::<ManageSims>(&*self.store, principal, organisation_id).await?;
        let keys: Vec<Key> = wanted.iter().map(|iccid| keys::sim(scope.root, iccid)).collect();
        let found = self.store.batch_get(&keys).await?;
        let now = self.now();
        let mut items = Vec::new();
        let mut writes: Vec<Vec<Write>> = Vec::new();
        for (iccid, item) in wanted.into_iter().zip(found) {
            let sim = item
                .as_ref()
                .map(|item| item.record::<Sim>().map(|sim| (sim, item.version)))
                .transpose()?
                .filter(|(sim, _)| scope.sees(sim));
            let refusal = match &sim {
                None => Some("not_found"),
                Some((sim, _)) if sim.company_id.is_none() => Some("unassigned"),
                Some((sim, _)) if sim.end_user_id.is_some() => Some("claimed"),
                Some((sim, _)) if sim.status == SimStatus::Terminated => Some("terminated"),
                Some(_) => None,
            };
            if let Some(code) = refusal {
                refused.push(RefusedCode {
                    iccid: iccid.to_string(),
                    code: code.into(),
                });
                continue;
            }
            let (sim, version) = sim.expect("checked");
            let code = activation_code_from(&self.secrets.token());
            let coded = Sim {
                activation_code_digest: Some(code_digest(&*self.secret_box, &iccid, &code)?),
                updated_at: now,
                ..sim.clone()
            };
            let mut sim_writes = vec![sim_write(&coded, Some(version))];
            sim_writes.extend(code_pointer_writes(&sim, &coded));
            writes.push(sim_writes);
            items.push(ActivationCode {
                iccid,
                activation_code: code,
            });
        }
        // Transactions of up to 33 SIMs, each with its audit event. A transaction that loses a
        // race reports its SIMs `concurrent_change` (their old codes still stand); the codes
        // of those that committed are answered, since they replaced codes already.
        let mut issued = Vec::new();
        let mut items = items.into_iter();
        for writes in writes.chunks(CODES_PER_TRANSACTION) {
            let batch: Vec<ActivationCode> = items.by_ref().take(writes.len()).collect();
            let iccids: Vec<&Iccid> = batch.iter().map(|code| &code.iccid).collect();
            let event = AuditEvent::by(principal.actor())
                .did("sim.activation_codes_issued")
                .on("organisation", scope.company.unwrap_or(scope.root))
                .in_organisation(scope.root)
                .changes(json!({ "iccids": iccids }))
                .at(now, context);
            let committed = UnitOfWork::new()
                .writes(writes.iter().flatten().cloned())
                .audit(event)
                .otherwise(DomainError::conflict("concurrent_change", "a SIM changed meanwhile"))
                .commit(&*self.store)
                .await;
            match committed {
                Ok(()) => issued.extend(batch),
                Err(DomainError::Conflict {
                    code: "concurrent_change",
                    ..
                }) => refused.extend(batch.into_iter().map(|code| RefusedCode {
                    iccid: code.iccid.to_string(),
                    code: "concurrent_change".into(),
                })),
                Err(other) => return Err(other),
            }
        }
        let items = issued;
        Ok(ActivationCodes { items, refused })
    }

    /// Claims a SIM by its ICCID and activation code: the caller joins the SIM's company as an
    /// end user and the SIM is assigned to them.
    pub async fn claim_sim(
        &self,
        principal: &Principal,
        context: &RequestContext,
        iccid: &str,
        code: &str,
    ) -> DomainResult<SimView> {
        if principal.user.kind == UserKind::Machine {
            return Err(DomainError::Forbidden);
        }
        let now = self.now();
        CLAIMS_PER_PERSON
            .require(&*self.store, &principal.user.id.to_string(), now)
            .await?;
        if let Some(source) = &context.source_address {
            CLAIMS_PER_SOURCE.require(&*self.store, source, now).await?;
        }
        if principal.user.registration != Registration::Registered {
            return Err(DomainError::denied(
                "email_not_confirmed",
                "confirm your e-mail address before claiming a SIM",
            ));
        }
        let iccid = Iccid::parse(iccid, "iccid").map_err(|_| DomainError::NotFound)?;
        let digest = code_digest(&*self.secret_box, &iccid, code)?;
        crate::tenancy::with_retries(|| self.claim_once(principal, context, &iccid, &digest)).await
    }

    async fn claim_once(
        &self,
        principal: &Principal,
        context: &RequestContext,
        iccid: &Iccid,
        digest: &str,
    ) -> DomainResult<SimView> {
        // The code's pointer names the root whose SIM it was printed for: another root holding
        // the same ICCID has nothing to do with it.
        let pointer = self
            .store
            .get(&keys::activation_code(digest))
            .await?
            .ok_or(DomainError::NotFound)?;
        let root = pointer
            .attribute("organisation_id")
            .and_then(|id| serde_json::from_value(id.clone()).ok())
            .ok_or(DomainError::NotFound)?;
        let (sim, version) = self.sim(root, iccid).await?;
        if sim.activation_code_digest.as_deref() != Some(digest) {
            return Err(DomainError::NotFound);
        }
        let Some(company_id) = sim.company_id else {
            return Err(DomainError::NotFound);
        };
        if sim.end_user_id.is_some() {
            return Err(DomainError::conflict("sim_claimed", "this SIM has been claimed"));
        }
        let user = &principal.user;
        let found = self
            .store
            .batch_get(&[keys::organisation(company_id), keys::membership(user.id, company_id)])
            .await?;
        let company_item = found[0].as_ref().ok_or(DomainError::NotFound)?;
        let company: Organisation = company_item.record()?;
        if company.deleted_at.is_some() {
            return Err(DomainError::NotFound);
        }
        let now = self.now();
        let mut writes = Vec::new();
        let member = found[1].as_ref().map(|item| item.record::<Membership>()).transpose()?;
        match member {
            Some(membership) if membership.active => {}
            Some(_) => {
                return Err(DomainError::denied(
                    "membership_suspended",
                    "your membership of this company is suspended",
                ));
            }
            None => {
                let [membership, profile] = join(
                    &company,
                    user,
                    principal.user_version,
                    vec![Role::Member],
                    Joining::Themselves,
                    now,
                );
                let counts = counts_update(
                    Update::new(keys::organisation(company_id)).when(Condition::VersionIs(company_item.version)),
                    &company,
                    |counts| counts.members += 1,
                );
                writes.extend([membership, profile, Write::Update(counts)]);
            }
        }
        let claimed = Sim {
            end_user_id: Some(user.id),
            claimed_at: Some(now),
            updated_at: now,
            ..sim.clone()
        };
        let event = AuditEvent::by(principal.actor())
            .did("sim.claimed")
            .on("sim", iccid)
            .in_organisation(sim.organisation_id)
            .changes(json!({ "company_id": company_id, "end_user_id": user.id }))
            .at(now, context);
        // A lost race on the SIM, the profile or the company's counts plans the claim again.
        UnitOfWork::new()
            .write(sim_write(&claimed, Some(version)))
            .writes(pointer_writes(&sim, &claimed))
            .writes(writes)
            .audit(event)
            .commit(&*self.store)
            .await?;
        Ok(claimed.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn a_code_is_twelve_crockford_characters_in_groups_of_four() {
        let code = activation_code_from("AZaz09-_AZaz09-_AZaz09-_AZaz09-_AZaz09-_abc");
        assert_eq!(code.len(), 14);
        assert_eq!(code.matches('-').count(), 2);
        assert!(
            code.chars()
                .filter(|c| *c != '-')
                .all(|c| CROCKFORD.contains(&(c as u8)))
        );
    }

    #[test]
    fn a_code_reads_the_same_however_it_is_typed() {
        assert_eq!(normalise_code("7kq4-m2xd 9hta"), "7KQ4M2XD9HTA");
        assert_eq!(normalise_code("O1LI"), "0111");
    }

    #[test]
    fn codes_of_different_tokens_differ() {
        let codes: BTreeSet<String> = ["a", "b", "c"]
            .iter()
            .map(|seed| activation_code_from(&seed.repeat(43)))
            .collect();
        assert_eq!(codes.len(), 3);
    }
}
