//! Identity, end to end, through both entry points (see `world/`). Every scenario runs
//! once through the local server's real HTTP and once through the Lambda handler.

mod accounts;
mod admin;
mod sessions;
mod throttling;
