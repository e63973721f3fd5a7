//! Issue 21, item 1: no tenant can flood mailboxes. A bulk change sends each recipient one
//! digest per rule; a person someone else added hears nothing from the organisation until they
//! accept, and can leave and block it for good; each organisation has an hourly e-mail budget,
//! past which notices are summed up once the hour is over; identity mail never queues behind
//! notices; a tenant's free text reaches a subject only in quotes.

use crate::organisations::{add, organisation};
use crate::sims::{iccid, sims_path};
use crate::world::{Mail, Person, World, join_all};
use serde_json::{Value, json};

both_entry_points!(
    a_bulk_change_sends_each_recipient_one_digest_per_rule_never_one_per_sim,
    a_person_added_by_someone_else_hears_nothing_from_the_organisation_until_they_accept,
    the_notices_block_link_removes_them_and_the_organisation_can_never_add_them_again,
    an_organisations_notices_past_its_hourly_budget_are_summed_up_once_the_hour_is_over,
    a_rule_that_fired_spends_nothing_more_of_the_hourly_budget,
    machine_accounts_are_never_e_mailed,
    a_confirmation_goes_out_ahead_of_ten_thousand_waiting_notices,
    a_rule_name_reaches_a_subject_line_only_in_quotes,
);

/// Mails to `to` whose subject starts with `prefix`, waiting up to 10 s for `at_least`.
async fn mails_starting(world: &World, to: &str, prefix: &str, at_least: usize) -> Vec<Mail> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let mails: Vec<Mail> = world
            .mails_to(to, 0)
            .await
            .into_iter()
            .filter(|mail| mail.subject.starts_with(prefix))
            .collect();
        if mails.len() >= at_least || std::time::Instant::now() > deadline {
            return mails;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// A status-change rule of `organisation` named `name`, e-mailing `roles`.
async fn status_rule(world: &World, owner: &Person, organisation: &str, name: &str, roles: &[&str]) -> Value {
    let created = world
        .call(
            "POST",
            &format!("/api/organisations/{organisation}/sim-rules"),
            owner.token(),
            Some(json!({ "name": name, "kind": "status_change", "actions": ["notify"], "recipients": { "roles": roles } })),
        )
        .await;
    assert_eq!(created.status, 201, "{created:?}");
    created.body
}

/// `count` SIMs imported into `organisation`, from ICCID number `base` on.
async fn sims(world: &World, owner: &Person, organisation: &str, base: u64, count: u64) -> Vec<String> {
    let numbers: Vec<String> = (0..count).map(|n| iccid(base + n)).collect();
    let rows: Vec<Value> = numbers.iter().map(|number| json!({ "iccid": number })).collect();
    let imported = world
        .call(
            "POST",
            &format!("{}/import", sims_path(organisation)),
            owner.token(),
            Some(json!(rows)),
        )
        .await;
    assert_eq!(imported.body["counts"]["created"], count, "{imported:?}");
    numbers
}

fn base() -> u64 {
    uuid::Uuid::new_v4().as_u128() as u64 % 1_000_000_000_000
}

async fn a_bulk_change_sends_each_recipient_one_digest_per_rule_never_one_per_sim(world: &World) {
    let ada = world.person("ada").await;
    let olga = world.person("olga").await;
    let root = organisation(world, &ada, "Fleet").await;
    add(world, &ada, &root, &olga, &["operator"]).await;
    status_rule(world, &ada, &root, "Any change", &["owner", "operator"]).await;
    status_rule(world, &ada, &root, "Owners watch", &["owner"]).await;
    sims(world, &ada, &root, base(), 300).await;

    // One request, 300 SIMs in two chunks of the job.
    let started = world
        .call(
            "POST",
            &format!("{}/bulk", sims_path(&root)),
            ada.token(),
            Some(json!({ "action": "activate", "filter": { "status": "inventory" } })),
        )
        .await;
    assert_eq!(started.status, 202, "{started:?}");
    let job = started.body["id"].as_str().unwrap();
    let done = world
        .finished_job(
            &format!("{}/bulk/{job}", sims_path(&root)),
            "",
            ada.token(),
            std::time::Duration::from_secs(60),
        )
        .await;
    assert_eq!(done.body["counts"]["changed"], 300, "{done:?}");

    let ada_digests = mails_starting(world, &ada.email, "300 SIMs", 2).await;
    let mut subjects: Vec<&str> = ada_digests.iter().map(|mail| mail.subject.as_str()).collect();
    subjects.sort();
    assert_eq!(
        subjects,
        ["300 SIMs: rule “Any change”", "300 SIMs: rule “Owners watch”"],
        "one digest per rule"
    );
    assert!(ada_digests[0].body.contains(job), "it links the job");
    let olga_digests = mails_starting(world, &olga.email, "300 SIMs", 1).await;
    assert_eq!(olga_digests.len(), 1, "the operator is named by one rule only");
    let per_sim = mails_starting(world, &ada.email, "SIM ", 0).await;
    assert!(per_sim.is_empty(), "never one e-mail per SIM: {}", per_sim.len());
}

/// Accepts, as `who`, the membership of `organisation` someone gave them.
async fn accept_membership(world: &World, who: &Person, organisation: &str) {
    let accepted = world
        .call(
            "POST",
            &format!("/api/organisations/{organisation}/membership/accept"),
            who.token(),
            None,
        )
        .await;
    assert_eq!(accepted.status, 204, "{accepted:?}");
}

/// The token of the newest "you were added" notice to `who`, and its link's kind.
async fn added_notice_token(world: &World, who: &Person) -> String {
    let notices = mails_starting(world, &who.email, "You were added", 1).await;
    let notice = notices.last().expect("the added notice");
    assert!(notice.body.contains("/membership/block?token="), "{}", notice.body);
    notice.token()
}

async fn a_person_added_by_someone_else_hears_nothing_from_the_organisation_until_they_accept(world: &World) {
    let ada = world.person("ada").await;
    let bob = world.person("bob").await;
    let root = organisation(world, &ada, "Fleet").await;
    status_rule(world, &ada, &root, "Any change", &["owner", "operator"]).await;
    let numbers = sims(world, &ada, &root, base(), 2).await;
    let added = world
        .call(
            "POST",
            &format!("/api/organisations/{root}/invitations"),
            ada.token(),
            Some(json!({ "email": bob.email, "roles": ["operator"] })),
        )
        .await;
    assert_eq!(added.body["outcome"], "added", "{added:?}");
    assert_eq!(added.body["member"]["accepted"], false);

    // Until Bob accepts, the organisation's rules do not reach him…
    let activate = |number: &String| format!("{}/{number}/activate", sims_path(&root));
    assert_eq!(
        world
            .call("POST", &activate(&numbers[0]), ada.token(), None)
            .await
            .status,
        200
    );
    assert_eq!(mails_starting(world, &ada.email, "SIM ", 1).await.len(), 1, "Ada hears");
    assert!(
        world
            .sent_mail_to(&bob.email)
            .await
            .iter()
            .all(|mail| !mail.subject.starts_with("SIM ")),
        "Bob does not, yet"
    );

    // …and once he follows the notice's link, they do.
    let token = added_notice_token(world, &bob).await;
    let accepted = world
        .call("POST", "/api/membership/accept", None, Some(json!({ "token": token })))
        .await;
    assert_eq!(accepted.status, 204, "{accepted:?}");
    let members = world.organisation(&ada, &root).members().list().await;
    let bobs = members.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|member| member["user_id"] == bob.id.as_str())
        .cloned()
        .unwrap();
    assert_eq!(bobs["accepted"], true, "{members:?}");
    assert_eq!(
        world
            .call("POST", &activate(&numbers[1]), ada.token(), None)
            .await
            .status,
        200
    );
    assert_eq!(mails_starting(world, &bob.email, "SIM ", 1).await.len(), 1);
    // Signed in, accepting again changes nothing.
    accept_membership(world, &bob, &root).await;
    let unknown = world
        .call(
            "POST",
            "/api/membership/accept",
            None,
            Some(json!({ "token": "not-a-token" })),
        )
        .await;
    assert_eq!(unknown.status, 404, "{unknown:?}");
}

async fn the_notices_block_link_removes_them_and_the_organisation_can_never_add_them_again(world: &World) {
    let ada = world.person("ada").await;
    let bob = world.person("bob").await;
    let carl = world.person("carl").await;
    let root = organisation(world, &ada, "Spam Ltd").await;
    let shop = crate::organisations::company(world, &ada, &root, "Spam shop").await;
    let invite = |organisation: &str, email: &str| {
        let path = format!("/api/organisations/{organisation}/invitations");
        let body = json!({ "email": email });
        let token = ada.access.clone();
        async move { world.call("POST", &path, Some(&token), Some(body)).await }
    };
    assert_eq!(invite(&root, &bob.email).await.body["outcome"], "added");
    let token = added_notice_token(world, &bob).await;

    let blocked = world
        .call("POST", "/api/membership/block", None, Some(json!({ "token": token })))
        .await;
    assert_eq!(blocked.status, 204, "{blocked:?}");
    let me = world.me(&bob).get().await;
    assert!(
        me.body["memberships"]
            .as_array()
            .unwrap()
            .iter()
            .all(|membership| membership["organisation_id"] != root.as_str()),
        "Bob is no member any more: {me:?}"
    );
    for organisation in [&root, &shop] {
        let again = invite(organisation, &bob.email).await;
        assert_eq!((again.status, again.code()), (409, "blocked_by_member"), "{again:?}");
    }
    // Signed in, the same: Carl leaves and blocks from the app.
    assert_eq!(invite(&root, &carl.email).await.body["outcome"], "added");
    let left = world
        .call(
            "POST",
            &format!("/api/organisations/{root}/membership/block"),
            carl.token(),
            None,
        )
        .await;
    assert_eq!(left.status, 204, "{left:?}");
    assert_eq!(invite(&root, &carl.email).await.code(), "blocked_by_member");
}

async fn an_organisations_notices_past_its_hourly_budget_are_summed_up_once_the_hour_is_over(world: &World) {
    let admin = world.admin().await;
    let ada = world.person("ada").await;
    let budget = world
        .call(
            "PUT",
            "/api/platform/settings",
            admin.token(),
            Some(
                json!({ "organisation_creation": "anyone", "invitation_expiry_days": 14, "notice_emails_per_hour": 5 }),
            ),
        )
        .await;
    assert_eq!(budget.status, 200, "{budget:?}");
    let root = organisation(world, &ada, "Fleet").await;
    status_rule(world, &ada, &root, "Any change", &["owner"]).await;
    let numbers = sims(world, &ada, &root, base(), 20).await;

    // Twenty changes at once, each a notice to Ada: the budget is spent atomically.
    let changed = join_all(numbers.iter().map(|number| {
        let path = format!("{}/{number}/activate", sims_path(&root));
        let token = ada.access.clone();
        async move { world.call("POST", &path, Some(&token), None).await.status }
    }))
    .await;
    assert!(changed.iter().all(|status| *status == 200), "{changed:?}");
    let sent = mails_starting(world, &ada.email, "SIM ", 5).await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(
        mails_starting(world, &ada.email, "SIM ", 5).await.len(),
        5,
        "exactly the budget went out"
    );
    assert_eq!(sent.len(), 5);

    // The hour over, housekeeping sums the rest up in one e-mail.
    world.clock.advance(chrono::Duration::minutes(61));
    world.run_housekeeping().await;
    let summaries = mails_starting(world, &ada.email, "15 notices from “Fleet” held back", 1).await;
    assert_eq!(summaries.len(), 1, "one summary of the fifteen held back");
    world.run_housekeeping().await;
    assert_eq!(
        mails_starting(world, &ada.email, "15 notices", 1).await.len(),
        1,
        "summed up once"
    );
}

async fn a_rule_that_fired_spends_nothing_more_of_the_hourly_budget(world: &World) {
    let admin = world.admin().await;
    let ada = world.person("ada").await;
    let budget = world
        .call(
            "PUT",
            "/api/platform/settings",
            admin.token(),
            Some(
                json!({ "organisation_creation": "anyone", "invitation_expiry_days": 14, "notice_emails_per_hour": 3 }),
            ),
        )
        .await;
    assert_eq!(budget.status, 200, "{budget:?}");
    let root = organisation(world, &ada, "Fleet").await;
    let numbers = sims(world, &ada, &root, base(), 3).await;
    let data_rule = world
        .call(
            "POST",
            &format!("/api/organisations/{root}/sim-rules"),
            ada.token(),
            Some(json!({ "name": "Over 1 MB", "kind": "data_usage", "threshold_mb": 1, "actions": ["notify"], "recipients": { "roles": ["owner"] } })),
        )
        .await;
    assert_eq!(data_rule.status, 201, "{data_rule:?}");
    // Ten records past the threshold: the rule fires on the first, and every later one asks
    // again; only the first may cost the budget anything.
    for n in 0..10 {
        let record = json!({ "record_id": format!("r-{n}"), "data_bytes": 2_000_000, "sms": 0, "voice_seconds": 0, "from": "2026-03-01T08:00:00Z", "to": "2026-03-01T08:30:00Z" });
        let posted = world
            .call(
                "POST",
                &format!("{}/{}/usage", sims_path(&root), numbers[0]),
                ada.token(),
                Some(record),
            )
            .await;
        assert_eq!(posted.status, 201, "{posted:?}");
    }
    assert_eq!(mails_starting(world, &ada.email, "SIM ", 1).await.len(), 1);

    status_rule(world, &ada, &root, "Any change", &["owner"]).await;
    for number in &numbers[1..] {
        let path = format!("{}/{number}/activate", sims_path(&root));
        assert_eq!(world.call("POST", &path, ada.token(), None).await.status, 200);
    }
    assert_eq!(
        mails_starting(world, &ada.email, "SIM ", 3).await.len(),
        3,
        "the budget of three held one firing and two changes"
    );
}

async fn machine_accounts_are_never_e_mailed(world: &World) {
    let ada = world.person("ada").await;
    let root = organisation(world, &ada, "Fleet").await;
    let machine = world
        .call(
            "POST",
            &format!("/api/organisations/{root}/machines"),
            ada.token(),
            Some(json!({ "name": "Operator bot", "roles": ["operator"] })),
        )
        .await;
    assert_eq!(machine.status, 201, "{machine:?}");
    let address = format!(
        "machine-{}@machines.stratum.invalid",
        machine.body["user_id"].as_str().unwrap()
    );
    status_rule(world, &ada, &root, "Any change", &["owner", "operator"]).await;
    let numbers = sims(world, &ada, &root, base(), 1).await;
    let path = format!("{}/{}/activate", sims_path(&root), numbers[0]);
    assert_eq!(world.call("POST", &path, ada.token(), None).await.status, 200);
    assert_eq!(mails_starting(world, &ada.email, "SIM ", 1).await.len(), 1);
    let machine_mail = world.sent_mail_to(&address).await;
    assert_eq!(machine_mail.len(), 0, "a placeholder address no mailbox answers");
}

async fn a_confirmation_goes_out_ahead_of_ten_thousand_waiting_notices(world: &World) {
    world.seed_notices("backlog@example.com", 10_000).await;
    let email = crate::world::address("jane");
    let started = std::time::Instant::now();
    let registered = world.register(&email, crate::world::PASSWORD, None).await;
    assert_eq!(registered.status, 201, "{registered:?}");

    world.relay_once_and_deliver_identity_mail().await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while world.sent_mail_to(&email).await.is_empty() {
        assert!(std::time::Instant::now() < deadline, "the confirmation never came");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let delay = started.elapsed();
    let waiting = world.waiting_notices().await;
    assert!(
        waiting >= 5_000,
        "the confirmation went out while {waiting} notices still waited"
    );
    assert!(world.sent_mail_to(&email).await[0].subject.contains("Confirm"));
    // The bench command records the delay (infra/bench.sh); never asserted here.
    if let Ok(table) = std::env::var("STRATUM_MAIL_BACKLOG_TABLE") {
        let row = format!("| {} | {} ms | {waiting} |\n", world.entry_point(), delay.as_millis());
        use std::io::Write;
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(table)
            .unwrap();
        file.write_all(row.as_bytes()).unwrap();
    }
}

async fn a_rule_name_reaches_a_subject_line_only_in_quotes(world: &World) {
    let ada = world.person("ada").await;
    let root = organisation(world, &ada, "Fleet").await;
    let hostile = "Your password expired, reset it now at evil.example";
    status_rule(world, &ada, &root, hostile, &["owner"]).await;
    let numbers = sims(world, &ada, &root, base(), 1).await;
    let path = format!("{}/{}/activate", sims_path(&root), numbers[0]);
    assert_eq!(world.call("POST", &path, ada.token(), None).await.status, 200);
    let mails = mails_starting(world, &ada.email, "SIM ", 1).await;
    assert_eq!(
        mails[0].subject,
        format!("SIM {}: rule “{hostile}”", numbers[0]),
        "the platform's words, the tenant's in quotes"
    );
}
