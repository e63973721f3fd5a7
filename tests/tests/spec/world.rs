//! A world to run identity scenarios in, over either entry point:
//!
//! - **local**: the real local server (`stratum::start`) on a loopback socket, embedded store,
//!   in-process relay and notifier, e-mail read back from the `.eml` files it writes;
//! - **lambda**: the identity function's router behind `lambda_http`'s adapter, fed API
//!   Gateway v2 events built from the recorded `events/apigw-v2-register.json`, on DynamoDB
//!   (moto); e-mail travels outbox → relay → SQS (moto) → notifier (fed SQS events built from
//!   `events/sqs-outbox.json`) → SES (moto), and is read back from moto's record of sent mail.
//!
//! Both run on a manual clock, so expiry and throttling are tested without sleeping.

use chrono::{TimeZone, Utc};
use lambda_http::lambda_runtime::{Context, LambdaEvent};
use lambda_http::request::LambdaRequest;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use stratum_infra::mail::SesMailer;
use stratum_infra::queue::SqsQueue;
use stratum_infra::store::dynamodb::DynamoStore;
use stratum_notifier::Notifier;
use stratum_shared::clock::ManualClock;
use stratum_shared::identity::Identity;
use stratum_shared::mail::Lane;
use stratum_shared::tenancy::Tenancy;
use tower::ServiceExt;

pub const PASSWORD: &str = "correct horse battery staple";
const MAIL_FROM: &str = "no-reply@stratum.test";

#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: HashMap<String, String>,
    pub body: Value,
}

impl Reply {
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or("")
    }

    pub fn field_errors(&self) -> Vec<(String, String)> {
        self.body["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .map(|e| {
                        (
                            e["field"].as_str().unwrap().to_owned(),
                            e["code"].as_str().unwrap().to_owned(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

pub struct Mail {
    pub subject: String,
    pub body: String,
}

impl Mail {
    /// The token in the mail's link (`…?token=…` or `…?invitation=…`).
    pub fn token(&self) -> String {
        let (at, marker) = ["token=", "invitation="]
            .iter()
            .find_map(|marker| self.body.find(marker).map(|at| (at, *marker)))
            .expect("the mail has a link with a token");
        let start = at + marker.len();
        self.body[start..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect()
    }
}

enum Transport {
    Local {
        base: String,
        client: reqwest::Client,
        server: Option<Box<stratum::Server>>,
        _dir: tempfile::TempDir,
    },
    Lambda {
        router: axum::Router,
        pipeline: Box<MailPipeline>,
        imports: Box<ImportPipeline>,
        /// moto's IoT Core, where the devices function makes things and certificates.
        iot: aws_sdk_iot::Client,
        device_policy: String,
    },
}

/// A certificate as IoT Core holds it: its status, the things and the policies attached.
#[derive(Debug, PartialEq, Eq)]
pub struct CertificateState {
    pub status: String,
    pub things: Vec<String>,
    pub policies: Vec<String>,
}

/// The AWS path of an import job: the chunks the sims function queued on SQS, handed to the
/// `sims-import` worker the way the Lambda event source does.
struct ImportPipeline {
    queue: SqsQueue,
    queue_url: String,
    sims: stratum_shared::sims::Sims,
}

impl ImportPipeline {
    async fn run_queued(&self) {
        loop {
            let received = self
                .queue
                .client()
                .receive_message()
                .queue_url(&self.queue_url)
                .max_number_of_messages(10)
                .send()
                .await
                .unwrap();
            let messages = received.messages.unwrap_or_default();
            if messages.is_empty() {
                return;
            }
            let records: Vec<(String, String, String)> = messages
                .iter()
                .map(|m| {
                    let text = |value: Option<&str>| value.unwrap_or_default().to_owned();
                    (text(m.message_id()), text(m.receipt_handle()), text(m.body()))
                })
                .collect();
            let response = stratum_sims_import::handle(&self.sims, stratum_tests::sqs_event(&records)).await;
            assert!(
                response.batch_item_failures.is_empty(),
                "the import worker failed: {:?}",
                response.batch_item_failures
            );
            for message in &messages {
                self.queue
                    .client()
                    .delete_message()
                    .queue_url(&self.queue_url)
                    .receipt_handle(message.receipt_handle().unwrap())
                    .send()
                    .await
                    .unwrap();
            }
        }
    }
}

/// The AWS path of an e-mail, driven on demand.
struct MailPipeline {
    moto: &'static stratum_tests::Moto,
    store: DynamoStore,
    /// The identity lane's queue, then the notices lane's, each with its URL.
    queues: [(SqsQueue, String); 2],
    notifier: Notifier,
}

pub struct World {
    pub clock: Arc<ManualClock>,
    pub identity: Identity,
    /// The SIM use cases the entry point serves, for what an operator does out of band.
    pub sims: stratum_shared::sims::Sims,
    transport: Transport,
    source: String,
}

/// The browser origin the local server of the specs lets in.
pub const CORS_ORIGIN: &str = "https://app.stratum.test";

fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap()))
}

impl World {
    pub async fn local() -> World {
        let clock = clock();
        let dir = tempfile::tempdir().unwrap();
        let server = stratum::start(stratum::Options {
            addr: "127.0.0.1:0".into(),
            data_dir: dir.path().to_owned(),
            clock: clock.clone(),
            cors_origins: CORS_ORIGIN.to_owned(),
            connectors: stratum_tests::test_connectors(),
            mqtt_addr: "127.0.0.1:0".parse().unwrap(),
        })
        .await
        .expect("the local server starts");
        let base = format!("http://{}", server.local_addr);
        World {
            clock,
            identity: server.identity.clone(),
            sims: server.sims.clone(),
            transport: Transport::Local {
                base,
                client: reqwest::Client::new(),
                server: Some(Box::new(server)),
                _dir: dir,
            },
            source: "127.0.0.1".into(),
        }
    }

    pub async fn lambda() -> World {
        let clock = clock();
        let moto = stratum_tests::moto();
        let store = moto.dynamo_store(clock.clone()).await;
        let identity = stratum_tests::identity_on(Arc::new(store.clone()), clock.clone());
        let aws = moto.sdk_config().await;
        let mut queue_urls = Vec::new();
        for lane in ["outbox", "notices"] {
            let queue_url = aws_sdk_sqs::Client::new(&aws)
                .create_queue()
                .queue_name(format!("{lane}-{}", uuid::Uuid::new_v4()))
                .send()
                .await
                .unwrap()
                .queue_url
                .unwrap();
            queue_urls.push(queue_url);
        }
        aws_sdk_ses::Client::new(&aws)
            .verify_email_identity()
            .email_address(MAIL_FROM)
            .send()
            .await
            .unwrap();
        let notifier = Notifier {
            store: Arc::new(store.clone()),
            mailer: Arc::new(SesMailer::new(&aws, MAIL_FROM)),
            clock: clock.clone(),
            mail_key: Arc::new(stratum_tests::mail_key()),
            notice_queue_arn: stratum_tests::NOTICE_QUEUE_ARN.to_owned(),
        };
        let lane = |url: &String| (SqsQueue::new(&aws, url), url.clone());
        let pipeline = MailPipeline {
            moto,
            queues: [lane(&queue_urls[0]), lane(&queue_urls[1])],
            store,
            notifier,
        };
        let import_queue_url = aws_sdk_sqs::Client::new(&aws)
            .create_queue()
            .queue_name(format!("sims-import-{}", uuid::Uuid::new_v4()))
            .send()
            .await
            .unwrap()
            .queue_url
            .unwrap();
        let sims = stratum_shared::sims::Sims {
            connectors: stratum_tests::test_connectors(),
            ..stratum_tests::sims_with(
                &identity,
                Arc::new(stratum_infra::queue::SqsJobQueue::new(&aws, &import_queue_url)),
            )
        };
        let imports = ImportPipeline {
            queue: SqsQueue::new(&aws, &import_queue_url),
            queue_url: import_queue_url,
            sims: sims.clone(),
        };
        let iot = aws_sdk_iot::Client::new(&aws);
        let device_policy = format!("devices-{}", uuid::Uuid::new_v4());
        iot.create_policy()
            .policy_name(&device_policy)
            .policy_document(stratum_tests::device_policy_document().to_string())
            .send()
            .await
            .unwrap();
        let gateway = Arc::new(stratum_infra::iot::IotGateway::new(&aws, &device_policy));
        // API Gateway routes each path to its function; merging the functions' routers does the same.
        let services = stratum_tests::services_of(&identity);
        let api = stratum_system::api()
            .merge(stratum_identity::api(services.clone()))
            .merge(stratum_organisations::api(services.clone()))
            .merge(stratum_sims::api(identity.clone(), sims.clone()))
            .merge(stratum_devices::api(
                identity.clone(),
                stratum_tests::devices_of(&sims, gateway),
            ))
            .merge(stratum_invitations::api(services));
        let router = stratum_infra::lambda::with_source_address(api.into_router());
        World {
            clock,
            identity,
            sims,
            transport: Transport::Lambda {
                router,
                pipeline: Box::new(pipeline),
                imports: Box::new(imports),
                iot,
                device_policy,
            },
            source: "203.0.113.7".into(),
        }
    }

    /// Runs the import chunks queued so far: through SQS and the worker on the Lambda entry
    /// point; locally a task of the server runs them on its own.
    pub async fn run_import_jobs(&self) {
        if let Transport::Lambda { imports, .. } = &self.transport {
            imports.run_queued().await;
        }
    }

    /// Runs the queued chunks and reads the job at `location` (with `query`) until it has
    /// completed, within `patience`.
    pub async fn finished_job(&self, location: &str, query: &str, token: Option<&str>, patience: Duration) -> Reply {
        self.run_import_jobs().await;
        let deadline = std::time::Instant::now() + patience;
        loop {
            let read = self.call("GET", &format!("{location}{query}"), token, None).await;
            if read.body["state"] == "completed" {
                return read;
            }
            assert!(std::time::Instant::now() < deadline, "the job finishes: {read:?}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// On the Lambda entry point, the certificate `id` as moto's IoT Core holds it, and the
    /// name of the shared device policy.
    pub async fn certificate(&self, id: &str) -> Option<(CertificateState, String)> {
        let Transport::Lambda { iot, device_policy, .. } = &self.transport else {
            return None;
        };
        let described = iot.describe_certificate().certificate_id(id).send().await.unwrap();
        let description = described.certificate_description.unwrap();
        let arn = description.certificate_arn.unwrap();
        let things = iot.list_principal_things().principal(&arn).send().await.unwrap();
        let policies = iot.list_attached_policies().target(&arn).send().await.unwrap();
        let state = CertificateState {
            status: description.status.unwrap().as_str().to_owned(),
            things: things.things.unwrap_or_default(),
            policies: policies
                .policies
                .unwrap_or_default()
                .into_iter()
                .filter_map(|policy| policy.policy_name)
                .collect(),
        };
        Some((state, device_policy.clone()))
    }

    /// On the Lambda entry point, the client ids whose IoT Core connection was asked to end.
    pub async fn deleted_connections(&self) -> Option<Vec<String>> {
        match &self.transport {
            Transport::Lambda { pipeline, .. } => Some(pipeline.moto.deleted_connections().await),
            Transport::Local { .. } => None,
        }
    }

    /// Locally, where the MQTT broker listens.
    pub fn mqtt_addr(&self) -> Option<std::net::SocketAddr> {
        match &self.transport {
            Transport::Local { server, .. } => server.as_ref().map(|server| server.mqtt_addr),
            Transport::Lambda { .. } => None,
        }
    }

    /// Locally, what the device gateway hands the broker from now on.
    pub fn publications(&self) -> Option<tokio::sync::broadcast::Receiver<stratum_infra::local_gateway::Publication>> {
        match &self.transport {
            Transport::Local { server, .. } => server.as_ref().map(|server| server.gateway.publications()),
            Transport::Lambda { .. } => None,
        }
    }

    /// The DynamoDB client's count of requests sent, on the Lambda entry point.
    pub fn dynamodb_requests(&self) -> Option<&stratum_infra::store::dynamodb::RequestCounter> {
        match &self.transport {
            Transport::Lambda { pipeline, .. } => Some(pipeline.store.requests()),
            Transport::Local { .. } => None,
        }
    }

    /// Which entry point this world runs, in words for the bench's tables.
    pub fn entry_point(&self) -> &'static str {
        match &self.transport {
            Transport::Local { .. } => "local server (relay every 200 ms, in-process notifier)",
            Transport::Lambda { .. } => "Lambda handlers (one relay round, the identity queue's notifier)",
        }
    }

    /// The address requests come from, as the entry point reports it.
    pub fn source_address(&self) -> &str {
        &self.source
    }

    pub async fn call(&self, method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> Reply {
        let auth = token.map(|token| format!("Bearer {token}"));
        let headers: Vec<(&str, &str)> = auth.iter().map(|value| ("authorization", value.as_str())).collect();
        self.call_with(method, path, &headers, body).await
    }

    pub async fn call_with(&self, method: &str, path: &str, headers: &[(&str, &str)], body: Option<Value>) -> Reply {
        let body = body.map(|body| ("application/json", body.to_string()));
        self.send(method, path, headers, body).await
    }

    /// A call with a body of any media type (`text/csv`, say).
    pub async fn call_raw(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        content_type: &str,
        body: &str,
    ) -> Reply {
        let auth = token.map(|token| format!("Bearer {token}"));
        let headers: Vec<(&str, &str)> = auth.iter().map(|value| ("authorization", value.as_str())).collect();
        self.send(method, path, &headers, Some((content_type, body.to_owned())))
            .await
    }

    async fn send(&self, method: &str, path: &str, headers: &[(&str, &str)], body: Option<(&str, String)>) -> Reply {
        match &self.transport {
            Transport::Local { base, client, .. } => {
                let mut request = client.request(method.parse().unwrap(), format!("{base}{path}"));
                for (name, value) in headers {
                    request = request.header(*name, *value);
                }
                if let Some((content_type, body)) = body {
                    request = request.header("content-type", content_type).body(body);
                }
                let response = request.send().await.expect("the server answers");
                let status = response.status().as_u16();
                let headers = response
                    .headers()
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_owned()))
                    .collect();
                let text = response.text().await.unwrap();
                Reply {
                    status,
                    headers,
                    body: serde_json::from_str(&text).unwrap_or(Value::Null),
                }
            }
            Transport::Lambda { router, .. } => {
                let mut headers = headers.to_vec();
                if let Some((content_type, _)) = &body {
                    headers.push(("content-type", content_type));
                }
                let body = body.map(|(_, body)| body);
                let event = stratum_tests::http_event(method, path, &headers, body.as_deref());
                let payload: LambdaRequest = serde_json::from_value(event).unwrap();
                let adapter = lambda_http::Adapter::from(router.clone());
                let response = adapter
                    .oneshot(LambdaEvent::new(payload, Context::default()))
                    .await
                    .unwrap();
                let response = serde_json::to_value(response).unwrap();
                let headers = response["headers"]
                    .as_object()
                    .map(|h| {
                        h.iter()
                            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_owned()))
                            .collect()
                    })
                    .unwrap_or_default();
                let body = response["body"]
                    .as_str()
                    .and_then(|text| serde_json::from_str(text).ok())
                    .unwrap_or(Value::Null);
                Reply {
                    status: response["statusCode"].as_u64().unwrap() as u16,
                    headers,
                    body,
                }
            }
        }
    }

    /// Runs the scheduled housekeeping once, as its schedule does (on this world's store).
    pub async fn run_housekeeping(&self) -> Value {
        let services = stratum_tests::services_of(&self.identity);
        let telemetry = stratum_tests::telemetry_of(&self.sims);
        stratum_housekeeping::handle(&services, &telemetry, Value::Null)
            .await
            .expect("housekeeping runs")
    }

    /// Puts `count` notices (sealed, as rules and alerts write them) to `to` in the outbox's
    /// notices lane, as a flood of an organisation's would leave them.
    pub async fn seed_notices(&self, to: &str, count: usize) {
        use stratum_shared::mail::EmailMessage;
        use stratum_shared::ports::OutboxMessage;
        let now = stratum_shared::time::Timestamp::new(self.clock_now());
        let messages: Vec<_> = (0..count)
            .map(|n| {
                let mail = EmailMessage::SimAlert {
                    to: stratum_shared::accounts::Email::parse(to).unwrap(),
                    name: "Backlog".into(),
                    rule: "Flood".into(),
                    iccid: format!("{n}"),
                    what: "One of many.".into(),
                    link: "https://app.stratum.test/".into(),
                };
                OutboxMessage::email(&*self.identity.mail_seal, &mail, now)
                    .unwrap()
                    .write()
            })
            .collect();
        for chunk in messages.chunks(100) {
            self.identity.store.transact(chunk.to_vec()).await.unwrap();
        }
    }

    /// Notices waiting in the outbox's notices lane.
    pub async fn waiting_notices(&self) -> usize {
        use stratum_shared::store::{Index, Query};
        let partition = stratum_shared::keys::outbox_partition(Lane::Notices);
        let mut waiting = 0;
        let mut cursor = None;
        loop {
            let page = self
                .identity
                .store
                .query(&Query::new(Index::Table, partition).limit(1_000).after(cursor))
                .await
                .unwrap();
            waiting += page.items.len();
            match page.next {
                Some(next) => cursor = Some(next),
                None => return waiting,
            }
        }
    }

    /// On the Lambda entry point, one round of the relay (a batch of each lane, the identity
    /// lane first), then what the identity lane's queue holds delivered, as its own event
    /// source does; locally the server's relay runs on its own.
    pub async fn relay_once_and_deliver_identity_mail(&self) {
        if let Transport::Lambda { pipeline, .. } = &self.transport {
            for lane in [Lane::Identity, Lane::Notices] {
                let queue = pipeline.queues().of_lane(lane);
                stratum_shared::outbox::relay(&pipeline.store, lane, queue, &*self.clock, stratum_relay::BATCH)
                    .await
                    .unwrap();
            }
            pipeline.deliver_queued(Lane::Identity).await;
        }
    }

    /// The e-mails sent to `to` so far, delivering nothing more.
    pub async fn sent_mail_to(&self, to: &str) -> Vec<Mail> {
        match &self.transport {
            Transport::Local { server, .. } => read_eml_folder(&server.as_ref().unwrap().mail_dir, to),
            Transport::Lambda { pipeline, .. } => read_moto_sent_mail(pipeline.moto, to).await,
        }
    }

    /// Every e-mail sent to `to` so far, oldest first. Waits (up to 10 s) for at least `at_least`.
    pub async fn mails_to(&self, to: &str, at_least: usize) -> Vec<Mail> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let mails = match &self.transport {
                Transport::Local { server, .. } => read_eml_folder(&server.as_ref().unwrap().mail_dir, to),
                Transport::Lambda { pipeline, .. } => {
                    pipeline.deliver_pending().await;
                    read_moto_sent_mail(pipeline.moto, to).await
                }
            };
            if mails.len() >= at_least || Instant::now() > deadline {
                return mails;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The token of the newest e-mail to `to`, waiting for the `nth` (1-based) to arrive.
    pub async fn token_from_mail(&self, to: &str, nth: usize) -> String {
        let mails = self.mails_to(to, nth).await;
        assert!(
            mails.len() >= nth,
            "expected {nth} mails to {to}, found {}",
            mails.len()
        );
        mails[nth - 1].token()
    }

    /// Registers and confirms `email`, then signs in; returns (access, refresh) tokens.
    pub async fn signed_up(&self, email: &str) -> (String, String) {
        let registered = self
            .call(
                "POST",
                "/api/auth/register",
                None,
                Some(json!({ "email": email, "password": PASSWORD })),
            )
            .await;
        assert_eq!(registered.status, 201, "{registered:?}");
        let token = self.token_from_mail(email, 1).await;
        assert_eq!(
            self.call(
                "POST",
                "/api/auth/confirm-email",
                None,
                Some(json!({ "token": token, "password": PASSWORD }))
            )
            .await
            .status,
            204
        );
        self.login(email, PASSWORD).await
    }

    /// `POST /api/auth/register` with a password and, if any, an invitation token.
    pub async fn register(&self, email: &str, password: &str, invitation_token: Option<&str>) -> Reply {
        let mut body = json!({ "email": email, "password": password });
        if let Some(token) = invitation_token {
            body["invitation_token"] = json!(token);
        }
        self.call("POST", "/api/auth/register", None, Some(body)).await
    }

    /// `POST /api/auth/confirm-email` with the e-mailed token and the password registered with.
    pub async fn confirm(&self, token: &str, password: &str) -> Reply {
        let body = json!({ "token": token, "password": password });
        self.call("POST", "/api/auth/confirm-email", None, Some(body)).await
    }

    /// `POST /api/auth/password/forgot`.
    pub async fn forgot_password(&self, email: &str) -> Reply {
        let body = json!({ "email": email });
        self.call("POST", "/api/auth/password/forgot", None, Some(body)).await
    }

    /// `POST /api/auth/password/reset` with the e-mailed token and a new password.
    pub async fn reset_password(&self, token: &str, password: &str) -> Reply {
        let body = json!({ "token": token, "password": password });
        self.call("POST", "/api/auth/password/reset", None, Some(body)).await
    }

    /// The status of `GET /api/me` with `access`: whether the access token authenticates.
    pub async fn me_status(&self, access: &str) -> u16 {
        self.me(crate::client::Caller::Bearer(access)).get().await.status
    }

    pub async fn login(&self, email: &str, password: &str) -> (String, String) {
        let reply = self
            .call(
                "POST",
                "/api/auth/login",
                None,
                Some(json!({ "email": email, "password": password })),
            )
            .await;
        assert_eq!(reply.status, 200, "{reply:?}");
        (
            reply.body["access_token"].as_str().unwrap().to_owned(),
            reply.body["refresh_token"].as_str().unwrap().to_owned(),
        )
    }

    pub fn clock_now(&self) -> chrono::DateTime<chrono::Utc> {
        use stratum_shared::ports::Clock;
        self.clock.now()
    }

    /// The tenancy use cases on this world's store.
    pub fn tenancy(&self) -> Tenancy {
        stratum_tests::tenancy_of(&self.identity)
    }

    /// A registered, confirmed, signed-in person.
    pub async fn person(&self, name: &str) -> Person {
        let email = address(name);
        let (access, _) = self.signed_up(&email).await;
        let me = self.call("GET", "/api/me", Some(&access), None).await.body;
        Person {
            id: me["id"].as_str().unwrap().to_owned(),
            personal_organisation_id: me["personal_organisation_id"].as_str().unwrap().to_owned(),
            email,
            access,
        }
    }

    /// A platform admin (bootstrapped), signed in.
    pub async fn admin(&self) -> Person {
        let email = address("admin");
        let user = self
            .identity
            .bootstrap_admin(&email, PASSWORD)
            .await
            .unwrap()
            .expect("a new admin");
        let (access, _) = self.login(&email, PASSWORD).await;
        Person {
            id: user.id.to_string(),
            personal_organisation_id: user.personal_organisation_id.to_string(),
            email,
            access,
        }
    }

    pub async fn stop(mut self) {
        if let Transport::Local { server, .. } = &mut self.transport {
            server.take().unwrap().stop().await.unwrap();
        }
    }
}

/// A person signed in to a world.
#[derive(Debug, Clone)]
pub struct Person {
    pub id: String,
    pub email: String,
    pub access: String,
    pub personal_organisation_id: String,
}

impl Person {
    pub fn token(&self) -> Option<&str> {
        Some(&self.access)
    }
}

/// A unique address for one test.
pub fn address(name: &str) -> String {
    format!(
        "{name}.{}@example.com",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    )
}

fn read_eml_folder(folder: &PathBuf, to: &str) -> Vec<Mail> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(folder)
        .map(|entries| entries.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    files
        .iter()
        .filter_map(|path| std::fs::read_to_string(path).ok())
        .filter(|eml| eml.lines().any(|line| line == format!("To: {to}")))
        .map(|eml| Mail {
            subject: eml
                .lines()
                .find_map(|line| line.strip_prefix("Subject: "))
                .unwrap_or_default()
                .to_owned(),
            body: eml,
        })
        .collect()
}

async fn read_moto_sent_mail(moto: &stratum_tests::Moto, to: &str) -> Vec<Mail> {
    let sent = moto.sent_mail(to).await;
    sent.into_iter().map(|(subject, body)| Mail { subject, body }).collect()
}

impl MailPipeline {
    fn queues(&self) -> stratum_relay::Queues<'_> {
        stratum_relay::Queues {
            identity: &self.queues[0].0,
            notices: &self.queues[1].0,
        }
    }

    /// Relays the outbox to SQS, then hands what SQS delivers to the notifier the way the
    /// Lambda event sources do (one per lane's queue), deleting what the notifier did not
    /// report as failed.
    async fn deliver_pending(&self) {
        stratum_relay::drain(&self.store, &self.queues(), &*self.notifier.clock)
            .await
            .expect("the relay drains the outbox");
        for lane in [Lane::Identity, Lane::Notices] {
            self.deliver_queued(lane).await;
        }
    }

    /// Hands what one lane's queue holds to the notifier, as its event source does.
    async fn deliver_queued(&self, lane: Lane) {
        let (queue, queue_url) = match lane {
            Lane::Identity => &self.queues[0],
            Lane::Notices => &self.queues[1],
        };
        loop {
            let received = queue
                .client()
                .receive_message()
                .queue_url(queue_url)
                .max_number_of_messages(10)
                .send()
                .await
                .unwrap();
            let messages = received.messages.unwrap_or_default();
            if messages.is_empty() {
                return;
            }
            let records: Vec<(String, String, String)> = messages
                .iter()
                .map(|m| {
                    let text = |value: Option<&str>| value.unwrap_or_default().to_owned();
                    (text(m.message_id()), text(m.receipt_handle()), text(m.body()))
                })
                .collect();
            let arn = (lane == Lane::Notices).then_some(stratum_tests::NOTICE_QUEUE_ARN);
            let event = stratum_tests::sqs_event_from(arn, &records);
            let response = self.notifier.handle(event).await;
            assert!(
                response.batch_item_failures.is_empty(),
                "the notifier failed: {:?}",
                response.batch_item_failures
            );
            for message in &messages {
                queue
                    .client()
                    .delete_message()
                    .queue_url(queue_url)
                    .receipt_handle(message.receipt_handle().unwrap())
                    .send()
                    .await
                    .unwrap();
            }
        }
    }
}

/// Runs every future concurrently on this task and collects their outputs in order, so racing
/// requests really are in flight together.
pub async fn join_all<F: std::future::Future>(futures: impl Iterator<Item = F>) -> Vec<F::Output> {
    let mut pinned: Vec<_> = futures.map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = (0..pinned.len()).map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (future, output) in pinned.iter_mut().zip(outputs.iter_mut()) {
            if output.is_none() {
                match future.as_mut().poll(cx) {
                    std::task::Poll::Ready(value) => *output = Some(value),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    outputs.into_iter().map(|o| o.expect("completed")).collect()
}
