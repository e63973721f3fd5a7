//! Handler overhead: the per-request CPU path — routing, request id, access-token
//! verification, JSON in and out, validation, authorisation and the use case — of the whole
//! API's router, over an in-memory store whose own time is measured and taken out.
//!
//! Criterion reports the mean with its confidence interval; then each case runs again,
//! timed call by call, for p50 and p99 (written as Markdown to `$STRATUM_BENCH_TABLE` when
//! set, printed otherwise).

use async_trait::async_trait;
use criterion::{Criterion, criterion_group, criterion_main};
use http::{Method, Request};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use stratum_infra::store::sqlite::SqliteStore;
use stratum_shared::accounts::Password;
use stratum_shared::audit::RequestContext;
use stratum_shared::clock::SystemClock;
use stratum_shared::identity::LoginContext;
use stratum_shared::ports::{Clock, Store};
use stratum_shared::store::{Condition, Item, Key, Page, Query, StoreError, Update, Write};
use stratum_shared::time::Timestamp;
use tower::ServiceExt;

/// A store that adds up the time spent inside it, so it can be subtracted.
struct TimedStore {
    inner: SqliteStore,
    nanos: AtomicU64,
}

impl TimedStore {
    async fn timed<T>(&self, call: impl Future<Output = T>) -> T {
        let started = Instant::now();
        let output = call.await;
        self.nanos
            .fetch_add(started.elapsed().as_nanos() as u64, Ordering::Relaxed);
        output
    }

    fn take(&self) -> Duration {
        Duration::from_nanos(self.nanos.swap(0, Ordering::Relaxed))
    }
}

#[async_trait]
impl Store for TimedStore {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        self.timed(self.inner.get(key)).await
    }
    async fn batch_get(&self, keys: &[Key]) -> Result<Vec<Option<Item>>, StoreError> {
        self.timed(self.inner.batch_get(keys)).await
    }
    async fn put(&self, item: Item, condition: Option<Condition>) -> Result<(), StoreError> {
        self.timed(self.inner.put(item, condition)).await
    }
    async fn update(&self, update: Update) -> Result<Item, StoreError> {
        self.timed(self.inner.update(update)).await
    }
    async fn delete(&self, key: &Key, condition: Option<Condition>) -> Result<(), StoreError> {
        self.timed(self.inner.delete(key, condition)).await
    }
    async fn query(&self, query: &Query) -> Result<Page, StoreError> {
        self.timed(self.inner.query(query)).await
    }
    async fn transact(&self, writes: Vec<Write>) -> Result<(), StoreError> {
        self.timed(self.inner.transact(writes)).await
    }
}

struct Bench {
    runtime: tokio::runtime::Runtime,
    router: axum::Router,
    identity: stratum_shared::identity::Identity,
    store: Arc<TimedStore>,
    token: String,
    organisation: String,
}

impl Bench {
    fn new() -> Bench {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let store = Arc::new(TimedStore {
            inner: SqliteStore::in_memory(clock.clone()).unwrap(),
            nanos: AtomicU64::new(0),
        });
        let identity = stratum_tests::identity_on(store.clone(), clock);
        let (email, password) = ("bench@example.com", "correct horse battery staple");
        let (admin, tokens) = runtime.block_on(async {
            let admin = identity.bootstrap_admin(email, password).await.unwrap().unwrap();
            let context = LoginContext {
                request: RequestContext::default(),
                user_agent: None,
            };
            (admin, identity.login(email, password, &context).await.unwrap())
        });
        let router = stratum_tests::api_of(&identity).into_router();
        Bench {
            runtime,
            router,
            identity,
            store,
            token: tokens.access_token,
            organisation: admin.personal_organisation_id.to_string(),
        }
    }

    fn request(&self, method: &Method, path: &str, body: Option<&str>) -> Request<axum::body::Body> {
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header("authorization", format!("Bearer {}", self.token));
        if body.is_some() {
            request = request.header("content-type", "application/json");
        }
        request
            .body(axum::body::Body::from(body.unwrap_or_default().to_owned()))
            .unwrap()
    }

    /// The status of one call, to make sure a case measures a success path.
    fn status(&self, method: &Method, path: &str, body: Option<&str>) -> u16 {
        let request = self.request(method, path, body);
        let response = self.runtime.block_on(self.router.clone().oneshot(request)).unwrap();
        response.status().as_u16()
    }

    /// One request through the router: (time outside the store, time in the store).
    fn call(&self, method: &Method, path: &str, body: Option<&str>) -> (Duration, Duration) {
        let request = self.request(method, path, body);
        self.runtime.block_on(async {
            self.store.take();
            let started = Instant::now();
            let response = self.router.clone().oneshot(request).await.unwrap();
            let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
            let total = started.elapsed();
            std::hint::black_box(body);
            let in_store = self.store.take();
            (total.saturating_sub(in_store), in_store)
        })
    }
}

/// The cases: a read of the caller, a read through authorisation, and a validated write with
/// its audit event.
fn cases(bench: &Bench) -> Vec<(&'static str, Method, String, Option<&'static str>)> {
    let organisation = format!("/api/organisations/{}", bench.organisation);
    vec![
        ("GET /api/me", Method::GET, "/api/me".into(), None),
        ("GET /api/organisations/{id}", Method::GET, organisation, None),
        (
            "PATCH /api/me",
            Method::PATCH,
            "/api/me".into(),
            Some(r#"{"name":"Bench Admin"}"#),
        ),
    ]
}

fn handler_overhead(c: &mut Criterion) {
    let bench = Bench::new();
    let cases = cases(&bench);
    for (name, method, path, body) in &cases {
        let status = bench.status(method, path, *body);
        assert!(status < 300, "{name} answered {status}");
        c.bench_function(&format!("handler overhead (store excluded): {name}"), |b| {
            b.iter_custom(|iterations| (0..iterations).map(|_| bench.call(method, path, *body).0).sum())
        });
    }
    // The part of every authenticated request that is pure CPU: the Ed25519 signature check.
    c.bench_function("access-token verification", |b| {
        b.iter(|| {
            bench
                .identity
                .tokens
                .verify(&bench.token, Timestamp::new(SystemClock.now()))
        })
    });
    // What a sign-in spends on the password: one argon2id verification.
    let password = "correct horse battery staple";
    let stored = bench
        .runtime
        .block_on(bench.identity.hasher.hash(&Password::parse(password, &[]).unwrap()));
    c.bench_function("password verification (argon2id)", |b| {
        b.iter(|| bench.runtime.block_on(bench.identity.hasher.verify(password, &stored)))
    });
    percentiles(&bench, &cases);
}

const TIMED_CALLS: usize = 20_000;

fn percentiles(bench: &Bench, cases: &[(&'static str, Method, String, Option<&'static str>)]) {
    let mut table = String::from(
        "| request | p50 handler (µs) | p99 handler (µs) | p50 in store (µs) | calls |\n|---|---:|---:|---:|---:|\n",
    );
    for (name, method, path, body) in cases {
        for _ in 0..1_000 {
            bench.call(method, path, *body);
        }
        let (mut handler, mut store): (Vec<Duration>, Vec<Duration>) =
            (0..TIMED_CALLS).map(|_| bench.call(method, path, *body)).unzip();
        handler.sort();
        store.sort();
        let at = |samples: &[Duration], quantile: f64| {
            samples[((samples.len() as f64 * quantile) as usize).min(samples.len() - 1)].as_secs_f64() * 1e6
        };
        table.push_str(&format!(
            "| `{name}` | {:.1} | {:.1} | {:.1} | {TIMED_CALLS} |\n",
            at(&handler, 0.5),
            at(&handler, 0.99),
            at(&store, 0.5)
        ));
    }
    match std::env::var("STRATUM_BENCH_TABLE") {
        Ok(path) => std::fs::write(path, table).expect("the table is written"),
        Err(_) => println!("{table}"),
    }
}

criterion_group!(benches, handler_overhead);
criterion_main!(benches);
