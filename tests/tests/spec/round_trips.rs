//! DynamoDB round trips per route: every route's success path runs through the Lambda handler
//! on DynamoDB (moto) with the client's request counter on, and the requests it sent, by
//! operation, must equal [`EXPECTED`] — so a route that starts reading or writing more fails
//! here. `STRATUM_ROUND_TRIPS_TABLE=<file>` also writes the measured table as Markdown (the
//! bench command puts it in `docs/performance.md`).

use crate::organisations::matrix::{Fixture, Scope, fixture, repair, request, routes};
use crate::world::{PASSWORD, Person, World, address};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use stratum_infra::store::dynamodb::RequestCounts;

/// Requests per successful call, by route: `METHOD path | what the handler sends (operation
/// and count, in name order; - for none) | the fewest its access pattern needs, and why`.
const EXPECTED: &str = "
DELETE /api/machines/{machine_id}/api-keys/{key_id} | GetItem 3 + Query 1 + TransactWriteItems 1 | 4: caller, machine + key, machine's organisation, the write
DELETE /api/me/sessions/{session_id} | Query 1 + TransactWriteItems 1 | 2: caller, the write
DELETE /api/organisations/{organisation_id} | BatchGetItem 1 + Query 1 + TransactWriteItems 1 | 3: caller + organisation (one batch), the write, its invitations (a query; a write per pending one, revoking it)
DELETE /api/organisations/{organisation_id}/alert-rules/{rule_id} | BatchGetItem 1 + GetItem 2 + TransactWriteItems 1 | 4: caller + organisation (one batch), the rule, the organisation's rule counter (made from what it holds if it is not yet), the write (delete + counter + audit)
DELETE /api/organisations/{organisation_id}/devices/{device_id}/credentials | BatchGetItem 1 + GetItem 2 + TransactWriteItems 1 | 4: caller + organisation (one batch), the device, its credentials, the write (credentials deleted + audit; IoT Core calls besides)
DELETE /api/organisations/{organisation_id}/environments/{environment_id} | BatchGetItem 1 + GetItem 1 + TransactWriteItems 1 | 3: caller + organisation (one batch), the environment, the write (delete if no device came meanwhile + audit)
DELETE /api/organisations/{organisation_id}/invitations/{invitation_id} | BatchGetItem 1 + GetItem 1 + TransactWriteItems 1 | 2: caller + organisation + invitation (one batch), the write
DELETE /api/organisations/{organisation_id}/map-markers/{marker_id} | BatchGetItem 1 + GetItem 1 + TransactWriteItems 1 | 3: caller + organisation (one batch), the marker, the write
DELETE /api/organisations/{organisation_id}/members/{user_id} | BatchGetItem 2 + TransactWriteItems 1 | 2: caller + organisation + member's membership and profile (one batch), the write
DELETE /api/organisations/{organisation_id}/sim-rules/{rule_id} | BatchGetItem 1 + GetItem 1 + TransactWriteItems 1 | 3: caller + organisation (one batch), the organisation's rule counter (made from what it holds if it is not yet), the write (delete + counter + audit)
DELETE /api/organisations/{organisation_id}/sims/{iccid}/assignment | BatchGetItem 2 + TransactWriteItems 1 | 3: caller + organisation (one batch), the SIM, the write (SIM, end user's pointer, counters, audit)
GET /.well-known/jwks.json | - | 0: the keys are in the function's configuration
GET /api/device-models | Query 2 | 2: caller, models (a query)
GET /api/device-models/{model_id} | GetItem 1 + Query 1 | 2: caller, the model
GET /api/devices | Query 2 | 2: caller, devices (a query on gsi2)
GET /api/devices/imports/{job_id} | BatchGetItem 1 + Query 1 | 2: caller, job + its first report chunk (one batch)
GET /api/devices/{device_id} | GetItem 1 + Query 1 | 2: caller, the device
GET /api/health | - | 0
GET /api/invitations/{token} | GetItem 2 | 2: token, then its invitation
GET /api/machines/{machine_id}/api-keys | GetItem 2 + Query 2 | 4: caller, machine, its organisation, the keys
GET /api/me | Query 1 | 1: caller
GET /api/me/sessions | Query 2 | 2: caller, sessions
GET /api/openapi.json | - | 0
GET /api/organisations | BatchGetItem 1 + Query 2 | 2 + 1 per root the caller staffs: caller, organisations, companies
GET /api/organisations/{organisation_id} | BatchGetItem 1 | 1: caller + organisation (one batch)
GET /api/organisations/{organisation_id}/alert-rules | BatchGetItem 1 + Query 1 | 2: caller + organisation (one batch), the rules (a query of the root's partition)
GET /api/organisations/{organisation_id}/alert-rules/{rule_id} | BatchGetItem 1 + GetItem 1 | 2: caller + organisation (one batch), the rule
GET /api/organisations/{organisation_id}/alerts | BatchGetItem 1 + Query 1 | 2: caller + organisation (one batch), the alerts (a query of the organisation's, a status's or a device's alerts)
GET /api/organisations/{organisation_id}/alerts/{alert_id} | BatchGetItem 1 + GetItem 2 | 3: caller + organisation (one batch), where the alert is, the alert (whose recorded placement says who reads it)
GET /api/organisations/{organisation_id}/audit | BatchGetItem 1 + Query 1 | 2: caller + organisation (one batch), events (a query)
GET /api/organisations/{organisation_id}/billing | BatchGetItem 2 | 1: caller + organisation + providers (one batch)
GET /api/organisations/{organisation_id}/devices | BatchGetItem 1 + Query 1 | 2: caller + organisation (one batch), the root's devices (a query on gsi1)
GET /api/organisations/{organisation_id}/devices/{device_id} | BatchGetItem 1 + GetItem 1 | 2: caller + organisation (one batch), the device
GET /api/organisations/{organisation_id}/devices/{device_id}/commands | BatchGetItem 1 + GetItem 1 + Query 1 | 3: caller + organisation (one batch), the device, its commands (a query of its partition)
GET /api/organisations/{organisation_id}/devices/{device_id}/latest | BatchGetItem 1 + GetItem 2 | 3: caller + organisation (one batch), the device, its latest values
GET /api/organisations/{organisation_id}/devices/{device_id}/maintenance | BatchGetItem 1 + GetItem 1 + Query 1 | 3: caller + organisation (one batch), the device, its history (a query of its partition)
GET /api/organisations/{organisation_id}/devices/{device_id}/ports | BatchGetItem 1 + GetItem 2 | 3: caller + organisation (one batch), the device, its model
GET /api/organisations/{organisation_id}/devices/{device_id}/telemetry | BatchGetItem 1 + GetItem 1 + Query 1 | 3: caller + organisation (one batch), the device, its points (a query of its own partition by time)
GET /api/organisations/{organisation_id}/devices/{device_id}/telemetry/aggregate | BatchGetItem 1 + GetItem 1 + Query 1 | 3: caller + organisation (one batch), the device, its points (a query per 1,000)
GET /api/organisations/{organisation_id}/environments | BatchGetItem 1 + Query 1 | 2: caller + organisation (one batch), the environments (a query of the root's partition)
GET /api/organisations/{organisation_id}/environments/{environment_id} | BatchGetItem 1 + GetItem 1 | 2: caller + organisation (one batch), the environment
GET /api/organisations/{organisation_id}/invitations | BatchGetItem 1 + Query 1 | 2: caller + organisation (one batch), invitations (a query)
GET /api/organisations/{organisation_id}/map | BatchGetItem 1 + Query 2 | 3: caller + organisation (one batch), the markers (a query), the root's devices (a query on gsi1, a page per 50)
GET /api/organisations/{organisation_id}/map-markers | BatchGetItem 1 + Query 1 | 2: caller + organisation (one batch), the markers (a query of the root's partition)
GET /api/organisations/{organisation_id}/map-markers/{marker_id} | BatchGetItem 1 + GetItem 1 | 2: caller + organisation (one batch), the marker
GET /api/organisations/{organisation_id}/members | BatchGetItem 1 + Query 1 | 2: caller + organisation (one batch), members (a query)
GET /api/organisations/{organisation_id}/operator-contracts | BatchGetItem 1 + Query 1 | 2: caller + organisation (one batch), contracts (a query)
GET /api/organisations/{organisation_id}/operator-contracts/{contract_id} | BatchGetItem 1 + GetItem 1 | 2: caller + organisation (one batch), the contract
GET /api/organisations/{organisation_id}/payment-providers/{provider} | BatchGetItem 1 + GetItem 1 | 1: caller + organisation + provider (one batch)
GET /api/organisations/{organisation_id}/plans | BatchGetItem 1 + Query 1 | 2: caller + organisation (one batch), plans (a query)
GET /api/organisations/{organisation_id}/plans/{plan_id} | BatchGetItem 1 + GetItem 1 | 2: caller + organisation (one batch), the plan
GET /api/organisations/{organisation_id}/sim-rules | BatchGetItem 1 + Query 1 | 2: caller + organisation (one batch), rules (a query)
GET /api/organisations/{organisation_id}/sim-rules/{rule_id} | BatchGetItem 1 + GetItem 1 | 2: caller + organisation (one batch), the rule
GET /api/organisations/{organisation_id}/sims | BatchGetItem 1 + Query 1 | 2: caller + organisation (one batch), SIMs (a query on an index)
GET /api/organisations/{organisation_id}/sims/bulk/{job_id} | BatchGetItem 2 | 2: caller + organisation (one batch), job + its report's first chunk (one batch)
GET /api/organisations/{organisation_id}/sims/imports/{job_id} | BatchGetItem 2 | 2: caller + organisation (one batch), job + its report's first chunk (one batch)
GET /api/organisations/{organisation_id}/sims/summary | BatchGetItem 1 + Query 1 | 2: caller + organisation (one batch), the counters (a query)
GET /api/organisations/{organisation_id}/sims/{iccid} | BatchGetItem 1 + GetItem 1 | 2: caller + organisation (one batch), the SIM
GET /api/organisations/{organisation_id}/sims/{iccid}/usage | BatchGetItem 1 + GetItem 1 + Query 1 | 3: caller + organisation (one batch), the SIM, periods (a query)
GET /api/organisations/{organisation_id}/suborganisations | BatchGetItem 1 + Query 1 | 2: caller + organisation (one batch), companies (a query)
GET /api/platform/audit | Query 2 | 2: caller, events
GET /api/platform/sims/duplicates | Query 2 | 2: caller, a page of the duplicates
GET /api/platform/settings | GetItem 1 + Query 1 | 2: caller, settings
GET /api/users/{user_id} | GetItem 1 + Query 1 | 2: caller, user
PATCH /api/me | Query 2 + TransactWriteItems 1 | 2: caller, the write
PATCH /api/organisations/{organisation_id} | BatchGetItem 1 + Query 1 + TransactWriteItems 2 | 2: caller + organisation (one batch), the write (a rename adds: members, their rows)
PATCH /api/organisations/{organisation_id}/alert-rules/{rule_id} | BatchGetItem 1 + GetItem 1 + TransactWriteItems 1 | 3: caller + organisation (one batch), the rule, the write
PATCH /api/organisations/{organisation_id}/devices/{device_id} | BatchGetItem 1 + GetItem 1 + TransactWriteItems 1 | 3: caller + organisation (one batch), the device, the write (a company or end user named adds a batch read of company + membership)
PATCH /api/organisations/{organisation_id}/environments/{environment_id} | BatchGetItem 1 + GetItem 1 + TransactWriteItems 1 | 3: caller + organisation (one batch), the environment, the write
PATCH /api/organisations/{organisation_id}/map-markers/{marker_id} | BatchGetItem 1 + GetItem 1 + TransactWriteItems 1 | 3: caller + organisation (one batch), the marker, the write
PATCH /api/organisations/{organisation_id}/operator-contracts/{contract_id} | BatchGetItem 1 + GetItem 1 + TransactWriteItems 1 | 3: caller + organisation (one batch), the contract, the write
PATCH /api/organisations/{organisation_id}/plans/{plan_id} | BatchGetItem 1 + GetItem 1 + TransactWriteItems 1 | 3: caller + organisation (one batch), the plan, the write
PATCH /api/organisations/{organisation_id}/sims/{iccid} | BatchGetItem 1 + GetItem 1 + TransactWriteItems 1 | 3: caller + organisation (one batch), the SIM, the write (a contract or plan named adds a batch read)
POST /api/auth/confirm-email | GetItem 2 + Query 1 + TransactWriteItems 1 | 4: token, user, the invitations it claims (a query; a read each), the write
POST /api/auth/login | BatchGetItem 1 + GetItem 1 + PutItem 2 + TransactWriteItems 1 + UpdateItem 1 | 6: throttles + address + familiar source (one batch), claims per source and per (account, source) (a third from an unfamiliar source), user; the write; the source's claim given back (successes never count)
POST /api/auth/logout | GetItem 1 + TransactWriteItems 1 | 2: token, the write
POST /api/auth/password/forgot | GetItem 2 + PutItem 3 + TransactWriteItems 1 + UpdateItem 3 | 6: source's budget, address, user, the address's budgets from this source and in all, the write (a budget is one update, and a put the first time in its window)
POST /api/auth/password/reset | GetItem 3 + Query 2 + TransactWriteItems 2 | 5: token, user, the invitations it claims (a query), the write (which ends every session at once); then the clean-up: the cut-off, sessions (removing and revoking them)
POST /api/auth/refresh | BatchGetItem 1 + GetItem 1 + TransactWriteItems 1 | 3: token, session + user, the write
POST /api/auth/register | GetItem 1 + TransactWriteItems 1 + UpdateItem 1 | 2: the source's budget, the write (its claim on the address fails if taken)
POST /api/device-models | Query 1 + TransactWriteItems 1 | 2: caller, the write (model + audit)
POST /api/devices | GetItem 1 + Query 1 + TransactWriteItems 1 | 3: caller, the model, the write (IMEI claim + device + audit; the claim's failure = 409 imei_taken)
POST /api/devices/imports | BatchGetItem 2 + Query 1 + TransactWriteItems 2 | 5: caller, models + organisations named (one batch), the IMEIs' claims (one batch per 30 rows), the devices (a transaction per 30 rows), the job with its report (one row shown; a job of more queues its chunks)
POST /api/invitations | GetItem 2 + PutItem 2 + Query 1 + TransactWriteItems 1 + UpdateItem 4 | 7: caller, the inviter's and the source's budgets, address + settings (one batch), the address's budgets from this inviter and in all, the write (a budget is one update, and a put the first time in its window)
POST /api/membership/accept | GetItem 2 + TransactWriteItems 1 | 3: the token, the membership, the write (accepted + audit)
POST /api/membership/block | BatchGetItem 1 + GetItem 2 + TransactWriteItems 1 | 4: the token, the organisation, membership + user (one batch), the write (membership ended + counts + block + audit)
POST /api/machines/{machine_id}/api-keys | GetItem 2 + Query 1 + TransactWriteItems 1 | 4: caller, machine, its organisation, the write
POST /api/organisations | GetItem 1 + Query 1 + TransactWriteItems 1 | 3: caller, settings, the write
POST /api/organisations/{organisation_id}/alert-rules | BatchGetItem 2 + TransactWriteItems 1 | 3: caller + organisation (one batch), the platform's cap + the organisation's count of rules (one batch; the count's first use adds its put), the write (rule + count + audit; a scope or named users add a batch read of what they name)
POST /api/organisations/{organisation_id}/alerts/{alert_id}/acknowledge | BatchGetItem 1 + GetItem 2 + TransactWriteItems 1 | 4: caller + organisation (one batch), where the alert is, the alert, the write (alert + audit)
POST /api/organisations/{organisation_id}/alerts/{alert_id}/clear | BatchGetItem 1 + GetItem 2 + TransactWriteItems 1 | 4: caller + organisation (one batch), where the alert is, the alert, the write (open marker + alert + audit + e-mails; a rule naming recipients adds their memberships' query and users' batch, and the organisation's e-mail budget its update)
POST /api/organisations/{organisation_id}/billing/payment-method | BatchGetItem 2 + GetItem 1 + TransactWriteItems 1 | 2: caller + organisation + providers (one batch), the write
POST /api/organisations/{organisation_id}/devices/{device_id}/commands | BatchGetItem 1 + GetItem 1 + TransactWriteItems 1 | 3: caller + organisation (one batch), the device, the write (command + audit; the publish besides)
POST /api/organisations/{organisation_id}/devices/{device_id}/credentials | BatchGetItem 1 + GetItem 2 + TransactWriteItems 1 | 4: caller + organisation (one batch), the device, its credentials (none yet), the write (credentials + audit; IoT Core calls besides)
POST /api/organisations/{organisation_id}/devices/{device_id}/maintenance | BatchGetItem 1 + GetItem 1 + TransactWriteItems 1 | 3: caller + organisation (one batch), the device, the write (entry + audit)
POST /api/organisations/{organisation_id}/environments | BatchGetItem 1 + TransactWriteItems 1 | 2: caller + organisation (one batch), the write
POST /api/organisations/{organisation_id}/invitations | BatchGetItem 1 + GetItem 2 + PutItem 2 + TransactWriteItems 1 + UpdateItem 4 | 6: caller + organisation + address + settings (one batch), the inviter's and the source's budgets, the address's budgets from this inviter and in all, the write (a budget is one update, and a put the first time in its window)
POST /api/organisations/{organisation_id}/invitations/{invitation_id}/resend | BatchGetItem 1 + GetItem 2 + TransactWriteItems 1 + UpdateItem 4 | 6: caller + organisation + invitation + settings (one batch), the inviter's and the source's budgets, the address's budgets from this inviter and in all, the write
POST /api/organisations/{organisation_id}/leave | BatchGetItem 2 + TransactWriteItems 1 | 2: caller + organisation + own membership (one batch), the write
POST /api/organisations/{organisation_id}/machines | BatchGetItem 1 + TransactWriteItems 1 | 2: caller + organisation (one batch), the write
POST /api/organisations/{organisation_id}/map-markers | BatchGetItem 1 + TransactWriteItems 1 | 2: caller + organisation (one batch), the write
POST /api/organisations/{organisation_id}/membership/accept | BatchGetItem 1 + GetItem 1 + TransactWriteItems 1 | 3: caller + organisation + own membership (one batch), the membership, the write (accepted + audit)
POST /api/organisations/{organisation_id}/membership/block | BatchGetItem 2 + TransactWriteItems 1 | 2: caller + organisation + own membership (one batch), membership + user (one batch), the write (as leaving, with the block)
POST /api/organisations/{organisation_id}/operator-contracts | BatchGetItem 1 + TransactWriteItems 1 | 2: caller + organisation (one batch), the write
POST /api/organisations/{organisation_id}/plans | BatchGetItem 1 + TransactWriteItems 1 | 2: caller + organisation (one batch), the write
POST /api/organisations/{organisation_id}/sim-rules | BatchGetItem 2 + TransactWriteItems 1 | 3: caller + organisation (one batch), the platform's cap + the organisation's count of rules (one batch; the count's first use adds its put), the write (rule + count + audit; named users add a batch read of their memberships)
POST /api/organisations/{organisation_id}/sims | BatchGetItem 1 + GetItem 1 + TransactWriteItems 1 | 3: caller + organisation (one batch), the ICCID's first holder, the write (the SIM, unique within the root, and its holding: the first, or a duplicate beside another root's; a contract or plan named adds a batch read)
POST /api/organisations/{organisation_id}/sims/activation-codes | BatchGetItem 2 + TransactWriteItems 1 | 3: caller + organisation (one batch), the SIMs (a batch per 100), their write (a transaction per 33: each SIM with its code's pointer, the old one's removed)
POST /api/organisations/{organisation_id}/sims/bulk | BatchGetItem 1 + TransactWriteItems 1 | 2: caller + organisation (one batch), the job with its audit event (then its chunks go to the queue); a filter adds the query of the SIMs it matches (a page per 1,000)
POST /api/organisations/{organisation_id}/sims/import | BatchGetItem 2 + TransactWriteItems 2 | 4: caller + organisation (one batch), the rows' SIMs and their ICCIDs' first holders (a batch), their write (SIMs and holdings), the job with its report; per 45 new rows one more batch read and write
POST /api/organisations/{organisation_id}/sims/{iccid}/activate | BatchGetItem 1 + GetItem 1 + Query 1 + TransactWriteItems 1 | 4: caller + organisation (one batch), the SIM, its status-change rules (a query per level: root, and company if assigned), the write with their e-mails (a contract adds its read: the connector; a rule that mails adds its members query)
POST /api/organisations/{organisation_id}/sims/{iccid}/suspend | BatchGetItem 1 + GetItem 1 + Query 1 + TransactWriteItems 1 | 4: caller + organisation (one batch), the SIM, its status-change rules (a query per level: root, and company if assigned), the write with their e-mails (a contract adds its read: the connector; a rule that mails adds its members query)
POST /api/organisations/{organisation_id}/sims/{iccid}/terminate | BatchGetItem 1 + GetItem 1 + Query 1 + TransactWriteItems 1 | 4: caller + organisation (one batch), the SIM, its status-change rules (a query per level: root, and company if assigned), the write with their e-mails (a contract adds its read: the connector; a rule that mails adds its members query)
POST /api/organisations/{organisation_id}/sims/{iccid}/usage | BatchGetItem 1 + GetItem 2 + PutItem 1 + Query 1 + TransactWriteItems 2 | 5: caller + organisation (one batch), the SIM, the write (record + period totals), the totals as written, the data-usage rules (a query per level); the period's first record creates its totals first (a put and the write again); a plan adds its read, a rule that fires its members query and write
POST /api/organisations/{organisation_id}/suborganisations | BatchGetItem 1 + TransactWriteItems 1 | 2: caller + organisation (one batch), the write
POST /api/sims/claim | BatchGetItem 1 + GetItem 2 + PutItem 2 + Query 1 + TransactWriteItems 1 + UpdateItem 2 | 7: caller, the person's and the source's claim budgets (a budget is one update, and a put the first time in its window), the code's pointer (which root's SIM), the SIM, company + membership (one batch), the write (SIM, pointer, membership, profile, the company's counts, audit)
POST /api/users/{user_id}/reactivate | GetItem 1 + Query 1 + TransactWriteItems 1 | 3: caller, user, the write
POST /api/users/{user_id}/suspend | GetItem 2 + Query 2 + TransactWriteItems 2 | 4: caller, user, the write (which ends every session at once); then the clean-up: the cut-off, sessions (removing and revoking them)
PUT /api/device-models/{model_id} | GetItem 1 + Query 1 + TransactWriteItems 1 | 3: caller, the model, the write
PUT /api/devices/{device_id}/organisation | BatchGetItem 1 + Query 1 + TransactWriteItems 1 | 3: caller, device + organisation (one batch), the write (device + audit in both trails)
PUT /api/organisations/{organisation_id}/devices/{device_id}/ports/{port} | BatchGetItem 1 + GetItem 2 + TransactWriteItems 1 | 4: caller + organisation (one batch), the device, its model, the write (device + audit)
PUT /api/organisations/{organisation_id}/members/{user_id}/roles | BatchGetItem 1 + GetItem 1 + TransactWriteItems 1 | 2: caller + organisation + membership (one batch), the write
PUT /api/organisations/{organisation_id}/payment-providers/{provider} | BatchGetItem 1 + TransactWriteItems 1 | 2: caller + organisation (one batch), the write
PUT /api/organisations/{organisation_id}/sims/{iccid}/assignment | BatchGetItem 2 + TransactWriteItems 1 | 3: caller + organisation (one batch), SIM + company + membership (one batch), the write
PUT /api/platform/settings | Query 1 + TransactWriteItems 1 | 2: caller, the write
";

/// [`EXPECTED`] as `((method, path), (requests, fewest needed))`.
fn expected() -> BTreeMap<(String, String), (String, String)> {
    EXPECTED
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let mut columns = line.split(" | ");
            let mut column = || columns.next().expect("three columns").trim().to_owned();
            let (route, requests, fewest) = (column(), column(), column());
            let (method, path) = route.split_once(' ').expect("METHOD path");
            ((method.to_owned(), path.to_owned()), (requests, fewest))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_route_sends_the_dynamodb_requests_its_access_pattern_needs() {
    let world = World::lambda().await;
    let fixture = fixture(&world).await;
    let routes = routes(&world);
    let mut measured = BTreeMap::new();
    for (method, template) in &routes {
        let counts = success_path(&world, &fixture, method, template).await;
        measured.insert((method.clone(), template.clone()), describe(&counts));
    }
    if let Ok(path) = std::env::var("STRATUM_ROUND_TRIPS_TABLE") {
        std::fs::write(path, markdown(&measured)).expect("the table is written");
    }
    let scanning: Vec<_> = measured.iter().filter(|(_, counts)| counts.contains("Scan")).collect();
    assert!(scanning.is_empty(), "no request path may scan the table: {scanning:?}");
    let expected: BTreeMap<(String, String), String> = expected()
        .into_iter()
        .map(|(route, (requests, _))| (route, requests))
        .collect();
    let differences: Vec<String> = measured
        .keys()
        .chain(expected.keys())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .filter(|route| measured.get(*route) != expected.get(*route))
        .map(|(method, template)| {
            let shown = |counts: Option<&String>| counts.map_or("(no such route)".to_owned(), |c| format!("{c:?}"));
            format!(
                "{method} {template}: expected {}, sent {}",
                shown(expected.get(&(method.clone(), template.clone()))),
                shown(measured.get(&(method.clone(), template.clone())))
            )
        })
        .collect();
    assert!(
        differences.is_empty(),
        "DynamoDB requests per route changed; fix the regression or update EXPECTED:\n{}",
        differences.join("\n")
    );
    world.stop().await;
}

/// The measured table, with the minimum next to each route.
fn markdown(measured: &BTreeMap<(String, String), String>) -> String {
    let expected = expected();
    let mut table = String::from("| route | requests | by operation | fewest needed |\n|---|---:|---|---|\n");
    for (route, counts) in measured {
        let total: u64 = counts
            .split(" + ")
            .filter_map(|part| part.rsplit(' ').next()?.parse::<u64>().ok())
            .sum();
        let needed = expected.get(route).map_or("?", |(_, fewest)| fewest.as_str());
        table.push_str(&format!(
            "| `{} {}` | {total} | {counts} | {needed} |\n",
            route.0, route.1
        ));
    }
    table
}

/// `GetItem 1 + Query 1`: requests by operation, in name order.
fn describe(counts: &RequestCounts) -> String {
    if counts.is_empty() {
        return "-".into();
    }
    counts
        .iter()
        .map(|(operation, n)| format!("{operation} {n}"))
        .collect::<Vec<_>>()
        .join(" + ")
}

/// Runs the route's success path and returns the DynamoDB requests the call itself sent
/// (setup before it and repairs after it are not counted).
async fn success_path(world: &World, fixture: &Fixture, method: &str, template: &str) -> RequestCounts {
    let counter = world
        .dynamodb_requests()
        .expect("the Lambda entry point counts requests");
    let owner = &fixture.owner;
    let admin = &fixture.admin;
    let (caller, path, body): (Option<&Person>, String, Option<Value>) = match (method, template) {
        ("GET", "/api/health" | "/api/openapi.json") => (None, template.to_owned(), None),
        ("POST", "/api/auth/register") => (None, template.to_owned(), Some(credentials(&address("new")))),
        ("POST", "/api/auth/confirm-email") => {
            let email = address("confirming");
            let registered = world
                .call("POST", "/api/auth/register", None, Some(credentials(&email)))
                .await;
            assert_eq!(registered.status, 201, "{registered:?}");
            let token = world.token_from_mail(&email, 1).await;
            (
                None,
                template.to_owned(),
                Some(json!({ "token": token, "password": PASSWORD })),
            )
        }
        ("POST", "/api/auth/login") => (None, template.to_owned(), Some(credentials(&owner.email))),
        ("POST", "/api/auth/refresh" | "/api/auth/logout") => {
            let (_, refresh) = world.login(&owner.email, PASSWORD).await;
            (None, template.to_owned(), Some(json!({ "refresh_token": refresh })))
        }
        ("POST", "/api/auth/password/forgot") => (None, template.to_owned(), Some(json!({ "email": owner.email }))),
        ("POST", "/api/auth/password/reset") => {
            let email = address("forgetful");
            world.signed_up(&email).await;
            let forgot = world
                .call(
                    "POST",
                    "/api/auth/password/forgot",
                    None,
                    Some(json!({ "email": email })),
                )
                .await;
            assert_eq!(forgot.status, 202);
            let token = world.token_from_mail(&email, 2).await;
            let body = json!({ "token": token, "password": "another correct horse battery" });
            (None, template.to_owned(), Some(body))
        }
        ("GET", "/api/invitations/{token}") => {
            let email = address("previewed");
            let invited = world
                .call(
                    "POST",
                    "/api/invitations",
                    owner.token(),
                    Some(json!({ "email": email })),
                )
                .await;
            assert_eq!(invited.status, 201, "{invited:?}");
            let token = world.token_from_mail(&email, 1).await;
            (None, format!("/api/invitations/{token}"), None)
        }
        ("DELETE", "/api/me/sessions/{session_id}") => {
            world.login(&owner.email, PASSWORD).await;
            let sessions = world.call("GET", "/api/me/sessions", owner.token(), None).await;
            let other = sessions.body["items"]
                .as_array()
                .unwrap()
                .iter()
                .find(|s| s["current"] == false)
                .expect("a second session")["id"]
                .as_str()
                .unwrap()
                .to_owned();
            (Some(owner), format!("/api/me/sessions/{other}"), None)
        }
        ("POST", "/api/users/{user_id}/suspend") => {
            // A live session, so suspension has one to end.
            world.login(&fixture.target_user.email, PASSWORD).await;
            let (path, body) = request(world, fixture, method, template, Scope::Root).await;
            (Some(admin), path, body)
        }
        ("POST", "/api/users/{user_id}/reactivate") => {
            let suspend = format!("/api/users/{}/suspend", fixture.target_user.id);
            assert_eq!(world.call("POST", &suspend, admin.token(), None).await.status, 200);
            let (path, body) = request(world, fixture, method, template, Scope::Root).await;
            (Some(admin), path, body)
        }
        ("DELETE", "/api/organisations/{organisation_id}") => {
            let doomed = crate::organisations::organisation(world, owner, "Doomed").await;
            (Some(owner), format!("/api/organisations/{doomed}"), None)
        }
        ("POST", "/api/organisations/{organisation_id}/leave")
        | ("POST", "/api/organisations/{organisation_id}/membership/accept")
        | ("POST", "/api/organisations/{organisation_id}/membership/block") => {
            let (path, body) = request(world, fixture, method, template, Scope::Root).await;
            (Some(&fixture.viewer), path, body)
        }
        ("POST", "/api/membership/accept" | "/api/membership/block") => {
            // Someone the owner adds: the notice's link carries the token.
            let added = world.person("added").await;
            let invited = world
                .call(
                    "POST",
                    &format!("/api/organisations/{}/invitations", fixture.root),
                    owner.token(),
                    Some(json!({ "email": added.email })),
                )
                .await;
            assert_eq!(invited.body["outcome"], "added", "{invited:?}");
            let token = world.token_from_mail(&added.email, 2).await;
            (None, template.to_owned(), Some(json!({ "token": token })))
        }
        _ if template.starts_with("/api/users/")
            || template.starts_with("/api/platform/")
            || template.starts_with("/api/device") =>
        {
            let (path, body) = request(world, fixture, method, template, Scope::Root).await;
            (Some(admin), path, body)
        }
        _ => {
            let (path, body) = request(world, fixture, method, template, Scope::Root).await;
            (Some(owner), path, body)
        }
    };
    counter.take();
    let reply = world.call(method, &path, caller.and_then(Person::token), body).await;
    let counts = counter.take();
    assert!(
        (200..300).contains(&reply.status),
        "{method} {template}: the success path failed: {reply:?}"
    );
    repair(world, fixture, method, template, Scope::Root, caller).await;
    counts
}

fn credentials(email: &str) -> Value {
    json!({ "email": email, "password": PASSWORD })
}

/// What importing 1,000 SIMs costs on DynamoDB (moto), through the Lambda handler: requests by
/// operation, and write units from the sizes of the items written (a transactional write
/// costs 2 units per KB, an index write 1). `STRATUM_SIM_IMPORT_TABLE=<file>` writes the
/// numbers as Markdown (the bench command puts them in `docs/performance.md`).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn importing_1000_sims_sends_a_write_and_a_read_per_45_sims() {
    use stratum_shared::store::{Index, Query};
    let world = World::lambda().await;
    let owner = world.person("importer").await;
    let root = crate::organisations::organisation(&world, &owner, "Importer").await;
    let rows: Vec<Value> = (0..1_000u64)
        .map(|n| json!({ "iccid": crate::sims::iccid(40_000 + n), "imsi": format!("26201{n:010}"), "labels": ["bench"] }))
        .collect();
    let counter = world.dynamodb_requests().unwrap();
    counter.take();
    let imported = world
        .call(
            "POST",
            &format!("/api/organisations/{root}/sims/import"),
            owner.token(),
            Some(Value::Array(rows)),
        )
        .await;
    let counts = counter.take();
    assert_eq!(imported.status, 200, "{imported:?}");
    assert_eq!(imported.body["counts"]["created"], 1_000);
    let transactions = counts.get("TransactWriteItems").copied().unwrap_or(0);
    let batches = counts.get("BatchGetItem").copied().unwrap_or(0);
    // 23 groups of ≤ 45 SIMs, each a batch read (the SIMs and their ICCIDs' first holders)
    // and a transaction (the SIMs and their holdings; a company's first SIMs add the counter
    // shards' creation and a second attempt), plus the job and report.
    assert!(transactions <= 25, "{counts:?}");
    assert!(batches <= 24, "{counts:?}");

    let size = |item: &stratum_shared::store::Item| {
        serde_json::to_string(&item.attributes).unwrap().len() + item.key.pk.len() + item.key.sk.len() + 120
    };
    let kb = |bytes: usize| bytes.div_ceil(1024) as u64;
    let store = &world.identity.store;
    let sim = store
        .get(&stratum_shared::keys::sim(
            stratum_shared::ids::OrganisationId::parse(&root, "id").unwrap(),
            &stratum_shared::telecom::Iccid::parse(&crate::sims::iccid(40_000), "iccid").unwrap(),
        ))
        .await
        .unwrap()
        .unwrap();
    let job = stratum_shared::ids::JobId::parse(imported.body["id"].as_str().unwrap(), "id").unwrap();
    let report = store
        .get(&stratum_shared::keys::job_report(job, 0))
        .await
        .unwrap()
        .unwrap();
    let organisation = stratum_shared::ids::OrganisationId::parse(&root, "id").unwrap();
    let audit = store
        .query(&Query::new(Index::Table, stratum_shared::keys::audit_partition(Some(organisation))).limit(100))
        .await
        .unwrap();
    let audit_units: u64 = audit.items.iter().map(|event| 2 * kb(size(event))).sum();
    let sim_units = 1_000 * 2 * kb(size(&sim));
    let index_units = 1_000 * kb(size(&sim)) + audit.items.len() as u64;
    let other_units = 2 * (kb(size(&report)) + 1) + 2 * 4 * 12;
    let total = sim_units + audit_units + other_units + index_units;
    if let Ok(path) = std::env::var("STRATUM_SIM_IMPORT_TABLE") {
        let table = format!(
            "| 1,000 SIMs imported in one request (moto) | value |\n|---|---:|\n\
             | requests | {} |\n\
             | write units: SIMs (transactional, {} B each) | {sim_units} |\n\
             | write units: index entries (gsi1 per SIM, gsi2 per audit event) | {index_units} |\n\
             | write units: audit events ({}) | {audit_units} |\n\
             | write units: counters, job, report ({} B) | {other_units} |\n\
             | write units in all | {total} |\n",
            describe(&counts),
            size(&sim),
            audit.items.len(),
            size(&report),
        );
        std::fs::write(path, table).expect("the table is written");
    }
    world.stop().await;
}

/// What ingest costs on DynamoDB (moto), through the telemetry worker's handler: write
/// requests per message (the floor is one, the point), and how long a message that crosses
/// a threshold takes to its alert (and e-mails) in the outbox, p50 and p99 over 100 devices.
/// `STRATUM_INGEST_TABLE=<file>` writes the numbers as Markdown (the bench command puts them
/// in `docs/performance.md`); the only assertions are on requests, never on time.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ingesting_on_dynamodb_writes_two_requests_a_message_and_one_transaction_an_alert() {
    use aws_lambda_events::sqs::{SqsEvent, SqsMessage};
    let world = World::lambda().await;
    let admin = world.admin().await;
    let owner = world.person("ingest-owner").await;
    let root = crate::organisations::organisation(&world, &owner, "Ingest").await;
    let devices = crate::devices::devices_of_root(&world, &admin, &owner, &root, 100).await;
    let rule = json!({
        "name": "Hot", "port": 1, "condition": ">", "value": 40, "severity": "major",
        "recipients": { "roles": ["owner"] }
    });
    let created = world
        .call(
            "POST",
            &format!("/api/organisations/{root}/alert-rules"),
            owner.token(),
            Some(rule),
        )
        .await;
    assert_eq!(created.status, 201, "{created:?}");
    let telemetry = stratum_tests::telemetry_of(&world.sims);
    let event = |messages: Vec<(String, u64, i64)>| {
        let mut event = SqsEvent::default();
        event.records = messages
            .into_iter()
            .map(|(device, seq, raw)| {
                let mut record = SqsMessage::default();
                record.message_id = Some(format!("{device}-{seq}"));
                record.body = Some(
                    json!({
                        "device_id": device, "client_id": device, "received_at": 0,
                        "ts": format!("2026-03-01T08:{:02}:{:02}Z", 30 + seq / 60, seq % 60),
                        "seq": seq, "values": { "1": raw }
                    })
                    .to_string(),
                );
                record
            })
            .collect();
        event
    };

    // 1,000 messages below the threshold, in batches of 100 as the queue hands them on.
    let counter = world.dynamodb_requests().unwrap();
    counter.take();
    for batch in 0..10u64 {
        let messages = devices.iter().map(|device| (device.clone(), batch, 600)).collect();
        let (response, tally) = stratum_telemetry_ingest::handle(&telemetry, event(messages)).await;
        assert!(response.batch_item_failures.is_empty());
        assert_eq!(tally.stored, 100);
    }
    let counts = counter.take();
    let writes: u64 = ["PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems"]
        .iter()
        .map(|operation| counts.get(*operation).copied().unwrap_or(0))
        .sum();
    // A point and the latest values each; a device's first message puts its latest values.
    assert_eq!(writes, 2 * 1_000 + 100, "{counts:?}");

    // Each device crosses the threshold in a message of its own: one raise each.
    let mut latencies = Vec::new();
    for device in &devices {
        let started = std::time::Instant::now();
        let (_, tally) = stratum_telemetry_ingest::handle(&telemetry, event(vec![(device.clone(), 100, 900)])).await;
        latencies.push(started.elapsed());
        assert_eq!(tally.stored, 1);
    }
    let raised = counter.take();
    assert_eq!(
        raised.get("TransactWriteItems").copied(),
        Some(100),
        "one raise each: {raised:?}"
    );
    latencies.sort();
    let percentile = |p: usize| latencies[(latencies.len() * p / 100).min(latencies.len() - 1)];
    if let Ok(path) = std::env::var("STRATUM_INGEST_TABLE") {
        let table = format!(
            "| telemetry ingest on DynamoDB (moto, through the worker's handler) | value |\n|---|---:|\n\
             | 1,000 messages of 100 devices, in batches of 100: requests | {} |\n\
             | write requests per message (the floor, one point write, is 1) | {:.2} |\n\
             | a message crossing a threshold: requests (rules and the device's alert state read, recipients, the raise) | {} |\n\
             | message → alert and e-mail in the outbox, p50 | {:.1} ms |\n\
             | message → alert and e-mail in the outbox, p99 | {:.1} ms |\n",
            describe(&counts),
            writes as f64 / 1_000.0,
            describe(&raised),
            percentile(50).as_secs_f64() * 1000.0,
            percentile(99).as_secs_f64() * 1000.0,
        );
        std::fs::write(path, table).expect("the table is written");
    }
}
