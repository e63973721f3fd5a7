//! Test support shared by the end-to-end specs: a real DynamoDB-compatible server
//! (`moto_server`) started on a free loopback port for the life of the test process, fresh
//! stores on either adapter, and the recorded Lambda events in `events/`.

use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use stratum_infra::crypto::{Argon2Hasher, JwtKeys, RandomSecrets};
use stratum_infra::store::dynamodb::{DynamoStore, create_table};
use stratum_infra::store::sqlite::SqliteStore;
use stratum_shared::identity::{Identity, IdentitySettings};
use stratum_shared::ports::{Clock, Store};

const INSTALL_HINT: &str = "moto (with its server) is required for the DynamoDB, SQS and SES tests and was not found. \
Install it with `pip install \"moto[server]\"` (the README's test command does this for you), \
or point MOTO_PYTHON at a Python that has it.";

/// A running moto server (`tests/moto_serial.py`: moto's own server app, applying one request
/// at a time as DynamoDB applies each conditional write atomically). It is started once per
/// test process and stops when the process exits: it runs under a small shell that kills it
/// as soon as our end of its stdin closes.
pub struct Moto {
    pub endpoint: String,
    _guard: Child,
}

/// Moto servers per test process. Each applies one request at a time, so the suite spreads
/// its tests over several: a test takes one with [`moto`] and keeps it.
const MOTO_SERVERS: usize = 4;

/// A moto server for one test (round-robin over the process's servers, started on first use).
pub fn moto() -> &'static Moto {
    static SERVERS: OnceLock<Vec<Moto>> = OnceLock::new();
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let servers = SERVERS.get_or_init(|| {
        let python = std::env::var("MOTO_PYTHON").unwrap_or_else(|_| "python3".into());
        let starting: Vec<_> = (0..MOTO_SERVERS)
            .map(|_| {
                let python = python.clone();
                std::thread::spawn(move || start_moto(&python))
            })
            .collect();
        starting
            .into_iter()
            .map(|s| s.join().expect("starts").unwrap_or_else(|hint| panic!("{hint}")))
            .collect()
    });
    &servers[NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % servers.len()]
}

/// Starts a moto server with `python`; without moto, says how to install it.
pub fn start_moto(python: &str) -> Result<Moto, &'static str> {
    let found = Command::new(python)
        .args(["-c", "import moto.server, werkzeug"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    if !matches!(found, Ok(status) if status.success()) {
        return Err(INSTALL_HINT);
    }
    let port = free_port();
    let script = r#"
        "$0" "$1" 127.0.0.1 "$2" >/dev/null 2>&1 &
        server=$!
        read -r _
        kill "$server" 2>/dev/null
    "#;
    let guard = Command::new("sh")
        .args(["-c", script, python, SERIAL_LAUNCHER, &port.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("sh is available");
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "moto_server did not start listening on 127.0.0.1:{port} within 30 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(Moto {
        endpoint: format!("http://127.0.0.1:{port}"),
        _guard: guard,
    })
}

const SERIAL_LAUNCHER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/moto_serial.py");

fn free_port() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("a free loopback port");
    listener.local_addr().expect("bound").port()
}

impl Moto {
    /// SDK configuration pointing at this server, with its dummy credentials.
    pub async fn sdk_config(&self) -> aws_config::SdkConfig {
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .endpoint_url(&self.endpoint)
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
                "test", "test", None, None, "moto",
            ))
            .load()
            .await
    }

    /// A DynamoDB store on a fresh table of its own.
    pub async fn dynamo_store(&self, clock: Arc<dyn Clock>) -> DynamoStore {
        let table = format!("stratum-test-{}", uuid::Uuid::new_v4());
        let store = DynamoStore::new(&self.sdk_config().await, &table, clock);
        create_table(store.client(), &table)
            .await
            .expect("moto creates the table");
        store.requests().take();
        store
    }

    /// What this server's SES has "sent" to `to`: `(subject, body)` pairs, oldest first.
    /// The client ids whose IoT Core connection was asked to end (`DeleteConnection`).
    pub async fn deleted_connections(&self) -> Vec<String> {
        let url = format!("{}/stratum/deleted-connections", self.endpoint);
        reqwest::get(url)
            .await
            .expect("moto answers")
            .json()
            .await
            .expect("JSON")
    }

    pub async fn sent_mail(&self, to: &str) -> Vec<(String, String)> {
        let url = format!("{}/stratum/sent-mail", self.endpoint);
        let messages: Vec<serde_json::Value> = reqwest::get(url)
            .await
            .expect("moto answers")
            .json()
            .await
            .expect("JSON");
        let text = |value: &serde_json::Value| value.as_str().unwrap_or_default().to_owned();
        messages
            .iter()
            .filter(|message| {
                let recipients = message["destinations"]["ToAddresses"].as_array();
                recipients.is_some_and(|list| list.iter().any(|address| address == to))
            })
            .map(|message| (text(&message["subject"]), text(&message["body"])))
            .collect()
    }
}

/// A DynamoDB store on a fresh table of its own, on one of the moto servers.
pub async fn dynamo_store(clock: Arc<dyn Clock>) -> DynamoStore {
    moto().dynamo_store(clock).await
}

/// An embedded store in a fresh temporary directory (removed when the guard drops).
pub fn sqlite_store(clock: Arc<dyn Clock>) -> (SqliteStore, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = SqliteStore::open(&dir.path().join("stratum.db"), clock).expect("the store opens");
    (store, dir)
}

/// The text of a recorded event in `events/`.
pub fn event(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../events").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// An API Gateway (HTTP API, payload 2.0) event for `method path` with `headers` and `body`,
/// made from the recorded `events/apigw-v2-register.json`.
pub fn http_event(method: &str, path: &str, headers: &[(&str, &str)], body: Option<&str>) -> serde_json::Value {
    use serde_json::json;
    let mut event: serde_json::Value =
        serde_json::from_str(&event("apigw-v2-register.json")).expect("a recorded event is JSON");
    event["routeKey"] = json!("$default");
    event["rawPath"] = json!(path);
    event["requestContext"]["routeKey"] = json!("$default");
    event["requestContext"]["http"]["method"] = json!(method);
    event["requestContext"]["http"]["path"] = json!(path);
    let event_headers = event["headers"].as_object_mut().expect("recorded headers");
    event_headers.remove("content-length");
    for (name, value) in headers {
        event_headers.insert(name.to_string(), json!(value));
    }
    match body {
        Some(body) => event["body"] = json!(body),
        None => {
            event.as_object_mut().expect("an object").remove("body");
        }
    }
    event
}

/// The web app base URL that test identities put in e-mailed links.
pub const WEB_URL: &str = "https://app.stratum.test";
pub const ISSUER: &str = "stratum";
pub const AUDIENCE: &str = "stratum-api";

/// Identity on `store`, with a fresh signing key and the production adapters.
pub fn identity_on(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Identity {
    identity_with_key(store, clock, &JwtKeys::generate_signing_key())
}

pub fn identity_with_key(store: Arc<dyn Store>, clock: Arc<dyn Clock>, signing_key: &str) -> Identity {
    let keys = JwtKeys::new(signing_key, &[], ISSUER, AUDIENCE, 900).expect("a generated key is valid");
    Identity {
        store,
        clock,
        hasher: Arc::new(Argon2Hasher::default()),
        secrets: Arc::new(RandomSecrets),
        tokens: Arc::new(keys),
        secret_box: Arc::new(data_key()),
        // Sealed with the notifier's public key only, as on AWS.
        mail_seal: Arc::new(mail_sealer()),
        settings: IdentitySettings::new(WEB_URL),
    }
}

/// The notice queue's ARN in test worlds (the recorded event's is the identity queue's).
pub const NOTICE_QUEUE_ARN: &str = "arn:aws:sqs:eu-west-1:123456789012:stratum-notices";

/// The recorded SQS event (`events/sqs-outbox.json`) carrying `messages` as its records:
/// `(message id, receipt handle, body)`.
pub fn sqs_event(messages: &[(String, String, String)]) -> aws_lambda_events::sqs::SqsEvent {
    sqs_event_from(None, messages)
}

/// [`sqs_event`] from the queue of `arn` (the recorded one's when `None`).
pub fn sqs_event_from(arn: Option<&str>, messages: &[(String, String, String)]) -> aws_lambda_events::sqs::SqsEvent {
    let mut event: serde_json::Value = serde_json::from_str(&event("sqs-outbox.json")).expect("a recorded SQS event");
    let mut template = event["Records"][0].clone();
    if let Some(arn) = arn {
        template["eventSourceARN"] = serde_json::json!(arn);
    }
    event["Records"] = messages
        .iter()
        .map(|(id, receipt, body)| {
            let mut record = template.clone();
            record["messageId"] = serde_json::json!(id);
            record["receiptHandle"] = serde_json::json!(receipt);
            record["body"] = serde_json::json!(body);
            record
        })
        .collect();
    serde_json::from_value(event).expect("the recorded shape still parses")
}

/// The data encryption secret of test worlds.
pub const DATA_KEY: &str = "test-data-encryption-secret-0123456789abcdef";

/// The box that seals secrets and outbox messages in test worlds, with [`DATA_KEY`].
pub fn data_key() -> stratum_infra::crypto::AesGcmSecretBox {
    stratum_infra::crypto::AesGcmSecretBox::new(DATA_KEY).expect("a long enough key")
}

/// The notifier's mail key of test worlds.
pub const MAIL_KEY: &str = "test-mail-key-secret-0123456789abcdef-0123";

/// The notifier's key of test worlds, which opens what [`mail_sealer`] seals.
pub fn mail_key() -> stratum_infra::sealed_mail::MailKey {
    stratum_infra::sealed_mail::MailKey::new(MAIL_KEY).expect("a long enough key")
}

/// What functions seal e-mail with in test worlds: the notifier's public key.
pub fn mail_sealer() -> stratum_infra::sealed_mail::MailSealer {
    stratum_infra::sealed_mail::MailSealer::new(&mail_key().public_key()).expect("a public key")
}

/// Tenancy on `identity`'s ports.
pub fn tenancy_of(identity: &Identity) -> stratum_shared::tenancy::Tenancy {
    stratum_shared::tenancy::Tenancy::new(identity, stratum_shared::sims::EndUserRelease::on(identity))
}

/// Every domain service on `identity`'s ports, as a function's state.
pub fn services_of(identity: &Identity) -> stratum_shared::invitations::Invitations {
    stratum_shared::invitations::Invitations {
        identity: identity.clone(),
        tenancy: tenancy_of(identity),
    }
}

/// The SIM use cases on `identity`'s ports, with import jobs going to `jobs`.
pub fn sims_with(identity: &Identity, jobs: Arc<dyn stratum_shared::ports::JobQueue>) -> stratum_shared::sims::Sims {
    stratum_shared::sims::Sims {
        store: identity.store.clone(),
        clock: identity.clock.clone(),
        secrets: identity.secrets.clone(),
        connectors: stratum_shared::sims::Connectors::default(),
        jobs,
        secret_box: identity.secret_box.clone(),
        notices: stratum_shared::notices::Notices::of(identity),
    }
}

/// The telemetry ingest (and silence sweep) on `sims`' ports, with caches of its own (as a
/// fresh container has).
pub fn telemetry_of(sims: &stratum_shared::sims::Sims) -> stratum_shared::telemetry::Telemetry {
    stratum_shared::telemetry::Telemetry {
        store: sims.store.clone(),
        clock: sims.clock.clone(),
        targets: Arc::new(stratum_shared::telemetry::TargetCache::default()),
        notices: sims.notices(),
    }
}

/// The whole API on `identity`'s ports, for reading its declarations (no jobs run).
pub fn api_of(identity: &Identity) -> stratum_infra::http::Api {
    let (jobs, _) = stratum_infra::jobs::InProcessJobs::new();
    let gateway = Arc::new(stratum_infra::local_gateway::LocalGateway::new("127.0.0.1", 1883));
    stratum::api(services_of(identity), sims_with(identity, Arc::new(jobs)), gateway)
}

/// An operator that takes every change and reports back later (`Sims::settle`), as a real
/// operator's connector does: the id `test-async` in contracts.
struct AsynchronousOperator;

#[async_trait::async_trait]
impl stratum_shared::ports::OperatorConnector for AsynchronousOperator {
    async fn request(
        &self,
        _: &stratum_shared::ports::StateChange,
    ) -> Result<stratum_shared::ports::ConnectorAnswer, stratum_shared::ports::PortError> {
        Ok(stratum_shared::ports::ConnectorAnswer::Pending)
    }
}

/// An operator that refuses every change: the id `test-refusing` in contracts.
struct RefusingOperator;

#[async_trait::async_trait]
impl stratum_shared::ports::OperatorConnector for RefusingOperator {
    async fn request(
        &self,
        _: &stratum_shared::ports::StateChange,
    ) -> Result<stratum_shared::ports::ConnectorAnswer, stratum_shared::ports::PortError> {
        Err(stratum_shared::ports::PortError::Unavailable(
            "the operator is down for maintenance".into(),
        ))
    }
}

/// The connectors of the spec worlds: `none`, `test-async` and `test-refusing`.
pub fn test_connectors() -> stratum_shared::sims::Connectors {
    stratum_shared::sims::Connectors::default()
        .with("test-async", Arc::new(AsynchronousOperator))
        .with("test-refusing", Arc::new(RefusingOperator))
}

/// The device use cases on `sims`' ports, large imports going to its job queue, devices
/// connecting through `gateway`.
pub fn devices_of(
    sims: &stratum_shared::sims::Sims,
    gateway: Arc<dyn stratum_shared::ports::DeviceGateway>,
) -> stratum_shared::devices::Devices {
    stratum_shared::devices::Devices {
        store: sims.store.clone(),
        clock: sims.clock.clone(),
        jobs: sims.jobs.clone(),
        gateway,
        secrets: sims.secrets.clone(),
        notices: sims.notices(),
    }
}

/// The device policy template.yaml declares, with its `!Sub`s resolved for moto's account
/// (`${!x}` is the literal `${x}`): what the spec worlds and `sam local` create in moto.
pub fn device_policy_document() -> serde_json::Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../template.yaml");
    let template: serde_norway::Value =
        serde_norway::from_str(&std::fs::read_to_string(path).unwrap()).expect("template.yaml is YAML");
    fn resolve(value: &serde_norway::Value) -> serde_json::Value {
        use serde_norway::Value;
        match value {
            Value::Tagged(tagged) if tagged.tag == "Sub" => {
                let text = tagged.value.as_str().expect("a !Sub of a string");
                serde_json::Value::String(
                    text.replace("${AWS::Partition}", "aws")
                        .replace("${AWS::Region}", "us-east-1")
                        .replace("${AWS::AccountId}", "123456789012")
                        .replace("${!", "${"),
                )
            }
            Value::Mapping(mapping) => mapping
                .iter()
                .map(|(key, value)| (key.as_str().unwrap().to_owned(), resolve(value)))
                .collect(),
            Value::Sequence(items) => items.iter().map(resolve).collect(),
            other => serde_json::to_value(other).unwrap(),
        }
    }
    resolve(&template["Resources"]["DevicePolicy"]["Properties"]["PolicyDocument"])
}
