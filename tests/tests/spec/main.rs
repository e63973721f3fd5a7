//! End-to-end specs: one test binary, so the crates link once.

/// Instantiates scenarios for both entry points (see `world/`); defined before the modules
/// so they all see it.
macro_rules! both_entry_points {
    ($($scenario:ident),* $(,)?) => {
        mod through_the_local_server {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $scenario() {
                    let world = crate::world::World::local().await;
                    super::$scenario(&world).await;
                    world.stop().await;
                }
            )*
        }
        mod through_the_lambda_handler {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $scenario() {
                    let world = crate::world::World::lambda().await;
                    super::$scenario(&world).await;
                    world.stop().await;
                }
            )*
        }
    };
}

mod alerts;
mod client;
mod cors;
mod deployment;
mod devices;
mod identity;
mod invitations;
mod lambda_events;
mod mqtt;
mod openapi;
mod organisations;
mod outbox;
mod review;
mod round_trips;
mod sims;
mod store_conformance;
mod telemetry;
mod world;
