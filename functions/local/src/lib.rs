//! The local all-in-one server: every function family's routes in one process on the
//! embedded store, the outbox relay and the notifier running in-process, e-mail written as
//! `.eml` files under `<data dir>/mail/`, SIM import jobs run by a task of the process.
//! `cargo run` at the workspace root starts it.

mod local_queue;

use axum::extract::{ConnectInfo, Request};
use axum::middleware::Next;
use axum::response::Response;
use local_queue::InProcessQueue;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use stratum_infra::broker::Broker;
use stratum_infra::config;
use stratum_infra::crypto::{AesGcmSecretBox, Argon2Hasher, JwtKeys, RandomSecrets};
use stratum_infra::http::{Api, SourceAddress};
use stratum_infra::jobs::{InProcessJobs, run_jobs};
use stratum_infra::local_gateway::LocalGateway;
use stratum_infra::mail::FileMailer;
use stratum_infra::sealed_mail::MailKey;
use stratum_infra::store::sqlite::SqliteStore;
use stratum_shared::devices::Devices;
use stratum_shared::identity::Identity;
use stratum_shared::invitations::Invitations;
use stratum_shared::ports::{Clock, DeviceGateway};
use stratum_shared::sims::{Connectors, EndUserRelease, Sims};
use stratum_shared::telemetry::{TargetCache, Telemetry};
use stratum_shared::tenancy::Tenancy;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// How often the in-process relay drains the outbox.
const RELAY_EVERY: Duration = Duration::from_millis(200);
/// How often housekeeping runs, as the schedule does on AWS.
const HOUSEKEEPING_EVERY: Duration = Duration::from_secs(60);
/// How often expired items are swept, as DynamoDB's TTL does on AWS.
const SWEEP_EVERY: Duration = Duration::from_secs(300);
/// Sender of local e-mail.
const LOCAL_MAIL_FROM: &str = "Stratum <no-reply@stratum.local>";

/// Every HTTP route of every function family, as one API.
pub fn api(services: Invitations, sims: Sims, gateway: Arc<dyn DeviceGateway>) -> Api {
    stratum_system::api()
        .merge(stratum_identity::api(services.clone()))
        .merge(stratum_organisations::api(services.clone()))
        .merge(stratum_sims::api(services.identity.clone(), sims.clone()))
        .merge(stratum_devices::api(
            services.identity.clone(),
            Devices {
                store: sims.store.clone(),
                clock: sims.clock.clone(),
                jobs: sims.jobs.clone(),
                gateway,
                secrets: sims.secrets.clone(),
                notices: sims.notices(),
            },
        ))
        .merge(stratum_invitations::api(services))
}

/// The SIM use cases on `identity`'s ports, with import jobs run by a task of this process.
fn local_sims(identity: &Identity, connectors: Connectors) -> (Sims, JoinHandle<()>) {
    let (jobs, chunks) = InProcessJobs::new();
    let sims = Sims {
        store: identity.store.clone(),
        clock: identity.clock.clone(),
        secrets: identity.secrets.clone(),
        connectors,
        jobs: Arc::new(jobs),
        secret_box: identity.secret_box.clone(),
        notices: stratum_shared::notices::Notices::of(identity),
    };
    let runner = tokio::spawn(run_jobs(sims.clone(), chunks));
    (sims, runner)
}

pub struct Options {
    pub addr: String,
    pub data_dir: PathBuf,
    pub clock: Arc<dyn Clock>,
    /// Browser origins allowed to call the API, comma-separated (`STRATUM_CORS_ORIGINS`).
    pub cors_origins: String,
    /// The operator connectors SIM contracts may name (`none` is always there).
    pub connectors: Connectors,
    /// Where the embedded MQTT broker listens for devices (`STRATUM_MQTT_ADDR`).
    pub mqtt_addr: SocketAddr,
}

/// A running local server.
pub struct Server {
    pub local_addr: SocketAddr,
    /// Where the MQTT broker listens for devices.
    pub mqtt_addr: SocketAddr,
    pub identity: Identity,
    pub sims: Sims,
    /// Device credentials for the broker, and commands on their way to it.
    pub gateway: LocalGateway,
    pub mail_dir: PathBuf,
    stop: oneshot::Sender<()>,
    serving: JoinHandle<std::io::Result<()>>,
    background: Vec<JoinHandle<()>>,
}

impl Server {
    /// Stops taking connections, lets requests in flight finish, and returns.
    pub async fn stop(self) -> Result<(), String> {
        let _ = self.stop.send(());
        let served = self.serving.await.map_err(|e| e.to_string())?;
        for task in self.background {
            task.abort();
        }
        served.map_err(|e| format!("server failed: {e}"))
    }
}

/// Opens the store in `options.data_dir`, loads (or creates) the signing key there, creates
/// the bootstrap admin if configured, and starts serving and relaying.
pub async fn start(options: Options) -> Result<Server, String> {
    let data_dir = &options.data_dir;
    std::fs::create_dir_all(data_dir).map_err(|e| format!("cannot create data dir {}: {e}", data_dir.display()))?;
    let database = data_dir.join("stratum.db");
    let store = SqliteStore::open(&database, options.clock.clone())
        .map_err(|e| format!("cannot open {}: {e}", database.display()))?;
    let signing_key = local_secret(data_dir, "STRATUM_JWT_SIGNING_KEY", "jwt-signing-key")?;
    let data_key = local_secret(data_dir, "STRATUM_DATA_KEY", "data-key")?;
    // The notifier's key: locally the same process seals e-mail and opens it.
    let mail_key = Arc::new(
        MailKey::new(&local_secret(data_dir, "STRATUM_MAIL_KEY", "mail-key")?)
            .map_err(|e| format!("STRATUM_MAIL_KEY: {e}"))?,
    );
    let identity = Identity {
        store: Arc::new(store.clone()),
        clock: options.clock.clone(),
        hasher: Arc::new(Argon2Hasher::default()),
        secrets: Arc::new(RandomSecrets),
        tokens: Arc::new(config::jwt_keys(&signing_key).map_err(|e| e.to_string())?),
        secret_box: Arc::new(AesGcmSecretBox::new(&data_key).map_err(|e| format!("STRATUM_DATA_KEY: {e}"))?),
        mail_seal: mail_key.clone(),
        settings: config::identity_settings("http://127.0.0.1:3000"),
    };
    config::bootstrap_admin(&identity).await.map_err(|e| e.to_string())?;

    let mail_dir = data_dir.join("mail");
    let mailer = FileMailer::new(&mail_dir, LOCAL_MAIL_FROM)
        .map_err(|e| format!("cannot create {}: {e}", mail_dir.display()))?;
    let queue = InProcessQueue {
        store: Arc::new(store.clone()),
        mailer: Arc::new(mailer),
        clock: options.clock.clone(),
        mail_key,
    };
    let mut background = vec![
        tokio::spawn(relay_outbox(store.clone(), queue)),
        tokio::spawn(sweep_expired_items(store)),
    ];

    let listener = tokio::net::TcpListener::bind(&options.addr)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", options.addr))?;
    let local_addr = listener.local_addr().map_err(|e| e.to_string())?;
    let tenancy = Tenancy::new(&identity, EndUserRelease::on(&identity));
    let services = Invitations {
        identity: identity.clone(),
        tenancy,
    };
    let (sims, job_runner) = local_sims(&identity, options.connectors.clone());
    background.push(job_runner);
    // One ingest (and its caches) for the broker and the sweep for silent devices.
    let telemetry = Telemetry {
        store: identity.store.clone(),
        clock: identity.clock.clone(),
        targets: Arc::new(TargetCache::default()),
        notices: sims.notices(),
    };
    background.push(tokio::spawn(housekeeping(services.clone(), telemetry.clone())));
    let mqtt = tokio::net::TcpListener::bind(options.mqtt_addr)
        .await
        .map_err(|e| format!("cannot listen for MQTT on {}: {e}", options.mqtt_addr))?;
    let mqtt_addr = mqtt.local_addr().map_err(|e| e.to_string())?;
    let gateway = LocalGateway::new(mqtt_addr.ip().to_string(), mqtt_addr.port());
    let broker = Broker {
        store: identity.store.clone(),
        secrets: identity.secrets.clone(),
        telemetry,
        gateway: gateway.clone(),
    };
    background.push(tokio::spawn(broker.serve(mqtt)));
    let mut router = api(services, sims.clone(), Arc::new(gateway.clone()))
        .into_router()
        .layer(axum::middleware::from_fn(record_peer_address));
    if let Some(cors) =
        stratum_infra::http::cors(&options.cors_origins).map_err(|e| format!("STRATUM_CORS_ORIGINS: {e}"))?
    {
        router = router.layer(cors);
    }
    let (stop, stopped) = oneshot::channel::<()>();
    let serving = tokio::spawn(async move {
        axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await
    });
    Ok(Server {
        local_addr,
        mqtt_addr,
        identity,
        sims,
        gateway,
        mail_dir,
        stop,
        serving,
        background,
    })
}

/// A secret (the access-token signing secret, the data encryption secret): the variable
/// `env` if set, otherwise the one kept in `file` in the data dir, generated on first start.
fn local_secret(data_dir: &Path, env: &str, file: &str) -> Result<String, String> {
    if let Some(key) = config::optional(env) {
        return Ok(key);
    }
    let path = data_dir.join(file);
    match std::fs::read_to_string(&path) {
        Ok(key) => Ok(key),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            let key = JwtKeys::generate_signing_key();
            write_private(&path, &key).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            Ok(key)
        }
        Err(error) => Err(format!("cannot read {}: {error}", path.display())),
    }
}

fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(contents.as_bytes())
}

async fn record_peer_address(mut request: Request, next: Next) -> Response {
    if let Some(ConnectInfo(peer)) = request.extensions().get::<ConnectInfo<SocketAddr>>().copied() {
        request.extensions_mut().insert(SourceAddress(peer.ip().to_string()));
    }
    next.run(request).await
}

async fn relay_outbox(store: SqliteStore, queue: InProcessQueue) {
    let mut every = tokio::time::interval(RELAY_EVERY);
    loop {
        every.tick().await;
        // Locally both lanes end in the same in-process notifier; the relay still serves the
        // identity lane first every round.
        let queues = stratum_relay::Queues {
            identity: &queue,
            notices: &queue,
        };
        if let Err(error) = stratum_relay::drain(&store, &queues, &*queue.clock).await {
            tracing::warn!(%error, "relaying the outbox failed; retrying");
        }
    }
}

async fn housekeeping(services: Invitations, telemetry: Telemetry) {
    let mut every = tokio::time::interval(HOUSEKEEPING_EVERY);
    loop {
        every.tick().await;
        if let Err(error) = stratum_housekeeping::handle(&services, &telemetry, serde_json::Value::Null).await {
            tracing::warn!(%error, "housekeeping failed");
        }
    }
}

async fn sweep_expired_items(store: SqliteStore) {
    let mut every = tokio::time::interval(SWEEP_EVERY);
    loop {
        every.tick().await;
        if let Err(error) = store.sweep_expired().await {
            tracing::warn!(%error, "sweeping expired items failed");
        }
    }
}
