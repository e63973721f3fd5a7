//! Identity, end to end, through both entry points (see `world.rs`). Every scenario runs
//! once through the local server's real HTTP and once through the Lambda handler.

mod world;

mod accounts;
mod admin;
mod sessions;
mod throttling;

/// Instantiates scenarios for both entry points.
macro_rules! both_entry_points {
    ($($scenario:ident),* $(,)?) => {
        mod through_the_local_server {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $scenario() {
                    let world = super::super::world::World::local().await;
                    super::$scenario(&world).await;
                    world.stop().await;
                }
            )*
        }
        mod through_the_lambda_handler {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $scenario() {
                    let world = super::super::world::World::lambda().await;
                    super::$scenario(&world).await;
                    world.stop().await;
                }
            )*
        }
    };
}
pub(crate) use both_entry_points;
