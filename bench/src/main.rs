//! The bench command's function measurements (run by `infra/bench.sh`, which builds the
//! binaries first): every Lambda function's release `bootstrap`, and a `lambda_runtime`
//! hello-world built with the same profile, started again and again against a loopback
//! Runtime API, interleaved, with DynamoDB, SQS and SES on a moto server. Prints Markdown.
//!
//! Usage: `stratum-bench <directory of release binaries> [cold-start runs] [warm invocations]`

mod report;
mod runtime_api;

use report::{median, peak_rss_kib, print_report};
use runtime_api::RuntimeApi;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use stratum_infra::crypto::JwtKeys;
use stratum_infra::store::dynamodb::{DynamoStore, create_table};
use stratum_shared::accounts::Email;
use stratum_shared::audit::RequestContext;
use stratum_shared::clock::SystemClock;
use stratum_shared::identity::LoginContext;
use stratum_shared::mail::EmailMessage;
use stratum_shared::ports::{Clock, OutboxMessage};
use stratum_shared::time::Timestamp;

const MAIL_FROM: &str = "no-reply@stratum.test";
const DATA_KEY: &str = "bench-data-encryption-secret-0123456789abcdef";
const MAIL_KEY: &str = "bench-mail-key-secret-0123456789abcdef-0123";

/// A binary under test and the event its invocations carry.
struct Subject {
    name: &'static str,
    /// Whether it links an AWS SDK client (the zip-size target differs).
    uses_sdk: bool,
    event: fn(&Setup) -> Value,
}

const SUBJECTS: [Subject; 8] = [
    Subject {
        name: "hello",
        uses_sdk: false,
        event: |_| json!({ "hello": "world" }),
    },
    Subject {
        name: "system",
        uses_sdk: false,
        event: |_| http_event("GET", "/api/health", None),
    },
    Subject {
        name: "identity",
        uses_sdk: true,
        event: |setup| http_event("GET", "/api/me", Some(&setup.access_token)),
    },
    Subject {
        name: "organisations",
        uses_sdk: true,
        event: |setup| http_event("GET", "/api/organisations", Some(&setup.access_token)),
    },
    Subject {
        name: "invitations",
        uses_sdk: true,
        event: |setup| {
            let path = format!("/api/organisations/{}/invitations", setup.organisation_id);
            http_event("GET", &path, Some(&setup.access_token))
        },
    },
    Subject {
        name: "housekeeping",
        uses_sdk: true,
        event: |_| recorded("schedule.json"),
    },
    Subject {
        name: "relay",
        uses_sdk: true,
        event: |_| recorded("schedule.json"),
    },
    Subject {
        name: "notifier",
        uses_sdk: true,
        event: |_| outbox_sqs_event(),
    },
];

/// What the functions share: a moto server with a table, a queue and a verified sender, a
/// platform admin signed in, and the environment every function process gets.
struct Setup {
    _moto: stratum_tests::Moto,
    environment: Vec<(String, String)>,
    access_token: String,
    organisation_id: String,
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let mut args = std::env::args().skip(1);
    let bin_dir = PathBuf::from(
        args.next()
            .expect("usage: stratum-bench <bin dir> [runs] [warm invocations]"),
    );
    let runs: usize = args.next().map_or(30, |n| n.parse().expect("runs is a number"));
    let warm: usize = args
        .next()
        .map_or(1000, |n| n.parse().expect("warm invocations is a number"));
    let setup = setup().await;

    let mut cold: Vec<ColdStart> = SUBJECTS.iter().map(|_| ColdStart::default()).collect();
    for run in 0..runs {
        // Interleaved, so drift in the machine's load spreads over every subject alike.
        for (subject, samples) in SUBJECTS.iter().zip(cold.iter_mut()) {
            samples.add(cold_start(&bin_dir, subject, &setup).await);
        }
        eprintln!("cold starts: run {} of {runs}", run + 1);
    }
    let mut sustained = Vec::new();
    for subject in &SUBJECTS {
        sustained.push(serve_many(&bin_dir, subject, &setup, warm).await);
        eprintln!("{warm} warm invocations: {}", subject.name);
    }
    print_report(&bin_dir, &cold, &sustained, runs, warm);
}

async fn setup() -> Setup {
    let moto = stratum_tests::start_moto("python3").unwrap_or_else(|hint| panic!("{hint}"));
    let aws = moto.sdk_config().await;
    let table = "stratum-bench".to_owned();
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let store = DynamoStore::new(&aws, &table, clock.clone());
    create_table(store.client(), &table)
        .await
        .expect("moto creates the table");
    let queue_url = aws_sdk_sqs::Client::new(&aws)
        .create_queue()
        .queue_name("stratum-bench-outbox")
        .send()
        .await
        .expect("moto creates the queue")
        .queue_url
        .expect("a queue URL");
    aws_sdk_ses::Client::new(&aws)
        .verify_email_identity()
        .email_address(MAIL_FROM)
        .send()
        .await
        .expect("moto verifies the sender");

    let signing_key = JwtKeys::generate_signing_key();
    let identity = stratum_tests::identity_with_key(Arc::new(store), clock, &signing_key);
    let (email, password) = ("bench.admin@example.com", "correct horse battery staple");
    let admin = identity
        .bootstrap_admin(email, password)
        .await
        .expect("the admin is created")
        .expect("a new admin");
    let context = LoginContext {
        request: RequestContext::default(),
        user_agent: None,
    };
    let tokens = identity
        .login(email, password, &context)
        .await
        .expect("the admin signs in");
    let environment = [
        ("AWS_ENDPOINT_URL", moto.endpoint.as_str()),
        ("AWS_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
        ("STRATUM_TABLE", &table),
        ("STRATUM_QUEUE_URL", &queue_url),
        ("STRATUM_MAIL_FROM", MAIL_FROM),
        ("STRATUM_JWT_SIGNING_KEY", &signing_key),
        ("STRATUM_DATA_KEY", DATA_KEY),
        ("STRATUM_MAIL_KEY", MAIL_KEY),
        ("STRATUM_MAIL_PUBLIC_KEY", &mail_public_key()),
        ("STRATUM_NOTICE_QUEUE_URL", &queue_url),
        ("STRATUM_NOTICE_QUEUE_ARN", stratum_tests::NOTICE_QUEUE_ARN),
        ("STRATUM_JWT_ISSUER", stratum_tests::ISSUER),
        ("STRATUM_JWT_AUDIENCE", stratum_tests::AUDIENCE),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"),
        ("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/bench"),
        ("AWS_LAMBDA_LOG_STREAM_NAME", "bench"),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_owned(), value.to_owned()))
    .collect();
    Setup {
        _moto: moto,
        environment,
        access_token: tokens.access_token,
        organisation_id: admin.personal_organisation_id.to_string(),
    }
}

/// An API Gateway (HTTP API, payload 2.0) event, with the caller's token if any.
fn http_event(method: &str, path: &str, token: Option<&str>) -> Value {
    let authorization = token.map(|token| format!("Bearer {token}"));
    let headers: Vec<(&str, &str)> = authorization
        .iter()
        .map(|value| ("authorization", value.as_str()))
        .collect();
    stratum_tests::http_event(method, path, &headers, None)
}

fn recorded(name: &str) -> Value {
    serde_json::from_str(&stratum_tests::event(name)).expect("a recorded event is JSON")
}

/// The notifier's public key, which the functions seal e-mail with.
fn mail_public_key() -> String {
    stratum_infra::sealed_mail::MailKey::new(MAIL_KEY)
        .expect("a long enough key")
        .public_key()
}

/// An SQS event carrying a fresh outbox message, so the notifier really sends an e-mail.
fn outbox_sqs_event() -> Value {
    let message = OutboxMessage::email(
        &stratum_infra::sealed_mail::MailSealer::new(&mail_public_key()).expect("a public key"),
        &EmailMessage::ConfirmEmail {
            to: Email::parse("bench.reader@example.com").expect("an address"),
            name: "Bench Reader".into(),
            link: "https://app.stratum.test/confirm-email?token=bench".into(),
        },
        Timestamp::new(SystemClock.now()),
    )
    .expect("the bench holds the data key");
    let id = message.id.to_string();
    let body = serde_json::to_string(&message).expect("serialisable");
    serde_json::to_value(stratum_tests::sqs_event(&[(id.clone(), id, body)])).expect("serialisable")
}

/// One cold start: times from exec to the first poll, of the first invocation and of the
/// one after it.
struct ColdSample {
    init: Duration,
    first: Duration,
    second: Duration,
}

#[derive(Default)]
struct ColdStart {
    init: Vec<Duration>,
    first: Vec<Duration>,
    second: Vec<Duration>,
}

impl ColdStart {
    fn add(&mut self, sample: ColdSample) {
        self.init.push(sample.init);
        self.first.push(sample.first);
        self.second.push(sample.second);
    }
}

fn spawn(bin_dir: &Path, subject: &Subject, setup: &Setup, api: &RuntimeApi) -> (Instant, Child) {
    let started = Instant::now();
    let child = Command::new(bin_dir.join(subject.name))
        .env_clear()
        .envs(setup.environment.iter().map(|(n, v)| (n, v)))
        .env("AWS_LAMBDA_FUNCTION_NAME", subject.name)
        .env("AWS_LAMBDA_RUNTIME_API", api.address.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", subject.name));
    (started, child)
}

async fn cold_start(bin_dir: &Path, subject: &Subject, setup: &Setup) -> ColdSample {
    let mut api = RuntimeApi::start().await;
    let (started, mut child) = spawn(bin_dir, subject, setup, &api);
    let polled = api
        .first_poll(Duration::from_secs(10))
        .await
        .unwrap_or_else(|| panic!("{} never asked for an event", subject.name));
    let mut timed = async || {
        let (sent, answer) = api.invoke((subject.event)(setup)).await;
        assert!(answer.ok, "{} failed: {}", subject.name, answer.body);
        assert_successful(subject, &answer.body);
        answer.at - sent
    };
    let first = timed().await;
    let second = timed().await;
    child.kill().expect("the process stops");
    child.wait().expect("the process is reaped");
    api.stop();
    ColdSample {
        init: polled - started,
        first,
        second,
    }
}

/// A function's answer must be its success, or the times measure an error path.
fn assert_successful(subject: &Subject, body: &str) {
    let answer: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let status = answer["statusCode"].as_u64();
    assert!(
        status.is_none_or(|status| status == 200),
        "{} answered {body}",
        subject.name
    );
    let failures = answer["batchItemFailures"].as_array();
    assert!(failures.is_none_or(Vec::is_empty), "{} answered {body}", subject.name);
}

/// Peak resident memory and the median invocation after `count` warm invocations.
struct Sustained {
    peak_rss_kib: u64,
    median: Duration,
}

async fn serve_many(bin_dir: &Path, subject: &Subject, setup: &Setup, count: usize) -> Sustained {
    let mut api = RuntimeApi::start().await;
    let (_, mut child) = spawn(bin_dir, subject, setup, &api);
    let mut times = Vec::with_capacity(count);
    for _ in 0..count {
        let (sent, answer) = api.invoke((subject.event)(setup)).await;
        assert!(answer.ok, "{} failed: {}", subject.name, answer.body);
        times.push(answer.at - sent);
    }
    let peak_rss_kib = peak_rss_kib(child.id());
    child.kill().expect("the process stops");
    child.wait().expect("the process is reaped");
    api.stop();
    Sustained {
        peak_rss_kib,
        median: median(&mut times),
    }
}
