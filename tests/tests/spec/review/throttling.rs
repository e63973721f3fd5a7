//! Sign-in throttling that slows guessing without locking people out: successes never count,
//! the back-off applies per (account, source), and reset mails are rationed.

use crate::world::{PASSWORD, World};
use serde_json::json;
use stratum_shared::audit::RequestContext;
use stratum_shared::error::{DomainError, DomainResult};
use stratum_shared::identity::{LoginContext, TokenPair};

both_entry_points!(
    successful_sign_ins_never_count_against_the_source,
    a_stranger_cannot_lock_a_person_out_from_their_usual_address,
    wrong_passwords_are_throttled_per_account_and_source,
    a_forgotten_password_mail_is_not_sent_more_than_three_times_an_hour,
    asking_for_resets_takes_the_same_time_for_any_address_and_is_rationed_per_source,
    concurrent_successful_sign_ins_never_count_either,
    another_source_cannot_use_up_the_owners_reset_mails,
);

const WRONG: &str = "guessing wildly now";

/// Signs in through the domain, as if from `source`.
async fn sign_in(world: &World, email: &str, password: &str, source: &str) -> DomainResult<TokenPair> {
    let context = LoginContext {
        request: RequestContext {
            source_address: Some(source.into()),
            ..Default::default()
        },
        user_agent: None,
    };
    world.identity.login(email, password, &context).await
}

async fn successful_sign_ins_never_count_against_the_source(world: &World) {
    let p = world.person("regular").await;

    for n in 1..=60 {
        let reply = world
            .call(
                "POST",
                "/api/auth/login",
                None,
                Some(json!({ "email": p.email, "password": PASSWORD })),
            )
            .await;
        assert_eq!(
            reply.status,
            200,
            "sign-in {n} from {}: {reply:?}",
            world.source_address()
        );
    }
}

async fn a_stranger_cannot_lock_a_person_out_from_their_usual_address(world: &World) {
    let victim = world.person("victim").await;
    let home = "198.51.100.1";
    let first = sign_in(world, &victim.email, PASSWORD, home).await;
    assert!(first.is_ok(), "{first:?}");

    let mut guesses = Vec::new();
    for _ in 0..10 {
        guesses.push(sign_in(world, &victim.email, WRONG, "203.0.113.66").await);
    }
    assert!(matches!(guesses[0], Err(DomainError::Unauthenticated)), "{guesses:?}");
    assert!(
        matches!(guesses[9], Err(DomainError::Throttled { .. })),
        "the attacker is slowed: {guesses:?}"
    );
    let at_home = sign_in(world, &victim.email, PASSWORD, home).await;
    assert!(at_home.is_ok(), "the victim signs in from home: {at_home:?}");

    for n in 0..40 {
        let source = format!("203.0.113.{n}");
        for _ in 0..2 {
            let guess = sign_in(world, &victim.email, WRONG, &source).await;
            assert!(guess.is_err(), "{source}: {guess:?}");
        }
    }
    let still = sign_in(world, &victim.email, PASSWORD, home).await;
    assert!(still.is_ok(), "after guesses from 40 sources: {still:?}");
}

async fn wrong_passwords_are_throttled_per_account_and_source(world: &World) {
    let p = world.person("guessed").await;
    let source = "198.51.100.20";

    let mut guesses = Vec::new();
    for _ in 0..6 {
        guesses.push(sign_in(world, &p.email, WRONG, source).await);
    }
    let right = sign_in(world, &p.email, PASSWORD, source).await;

    assert!(matches!(guesses[0], Err(DomainError::Unauthenticated)), "{guesses:?}");
    assert!(
        matches!(right, Err(DomainError::Throttled { .. })),
        "even the right password waits: {right:?}"
    );
}

async fn a_forgotten_password_mail_is_not_sent_more_than_three_times_an_hour(world: &World) {
    let p = world.person("forgetful").await;

    for n in 1..=5 {
        let reply = world.forgot_password(&p.email).await;
        assert_eq!(reply.status, 202, "request {n}: {reply:?}");
    }

    let resets = |mails: Vec<crate::world::Mail>| mails.iter().filter(|m| m.subject.contains("Reset")).count();
    assert_eq!(resets(world.mails_to(&p.email, 4).await), 3);
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    assert_eq!(resets(world.mails_to(&p.email, 4).await), 3, "no more arrive later");
}

async fn asking_for_resets_takes_the_same_time_for_any_address_and_is_rationed_per_source(world: &World) {
    let known = world.person("known").await;
    let floor = stratum_identity::FORGOT_PASSWORD_TAKES;
    let ask = |email: String| async move {
        let started = std::time::Instant::now();
        let reply = world.forgot_password(&email).await;
        (reply, started.elapsed())
    };

    let (for_known, known_took) = ask(known.email.clone()).await;
    let (for_unknown, unknown_took) = ask(crate::world::address("nobody")).await;

    assert_eq!((for_known.status, for_unknown.status), (202, 202));
    assert!(
        known_took >= floor && unknown_took >= floor,
        "both answer no sooner than {floor:?}: {known_took:?} {unknown_took:?}"
    );
    for n in 3..=stratum_shared::identity::RESET_REQUESTS_PER_SOURCE.per_window {
        let (reply, _) = ask(crate::world::address("someone")).await;
        assert_eq!(reply.status, 202, "request {n}: {reply:?}");
    }
    let (refused, _) = ask(crate::world::address("one.more")).await;
    assert_eq!(
        (refused.status, refused.code()),
        (429, "too_many_requests"),
        "{refused:?}"
    );
    assert!(refused.headers.contains_key("retry-after"), "{refused:?}");
}

/// Many people behind one address (an office, a carrier's NAT) signing in at once: their
/// successes give their claims on the source back, racing each other.
async fn concurrent_successful_sign_ins_never_count_either(world: &World) {
    let mut people = Vec::new();
    for n in 0..20 {
        people.push(world.person(&format!("colleague{n}")).await);
    }
    let source = "192.0.2.44";

    for burst in 0..3 {
        let replies = crate::world::join_all(people.iter().map(|p| sign_in(world, &p.email, PASSWORD, source))).await;
        let refused: Vec<_> = replies.iter().filter(|reply| reply.is_err()).collect();
        assert!(refused.is_empty(), "burst {burst}: {refused:?}");
    }
    let throttle = world
        .identity
        .store
        .get(&stratum_shared::keys::source_throttle(source))
        .await
        .unwrap()
        .expect("the source's record");
    assert_eq!(
        throttle.attribute("failures"),
        Some(&json!(0)),
        "60 successes left nothing counted"
    );
}

async fn another_source_cannot_use_up_the_owners_reset_mails(world: &World) {
    let p = world.person("targeted").await;
    let ask = |source: &'static str| {
        let email = p.email.clone();
        async move {
            let context = RequestContext {
                source_address: Some(source.into()),
                ..Default::default()
            };
            world.identity.forgot_password(&email, &context).await.unwrap();
        }
    };
    for _ in 0..5 {
        ask("203.0.113.99").await;
    }
    let resets = |mails: Vec<crate::world::Mail>| mails.iter().filter(|m| m.subject.contains("Reset")).count();
    assert_eq!(
        resets(world.mails_to(&p.email, 4).await),
        3,
        "one source gets three an hour"
    );

    ask("198.51.100.20").await;

    assert_eq!(
        resets(world.mails_to(&p.email, 5).await),
        4,
        "the owner still gets theirs"
    );
}
