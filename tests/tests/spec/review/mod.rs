//! Specs from the review: rules the implementation keeps, end to end through both entry points.

mod bodies;
mod companies;
mod company_reach;
mod fan_out;
mod free_text;
mod history;
mod iccids;
mod idna;
mod invitations;
mod lists;
mod low;
mod mail_flood;
mod many_memberships;
mod pending_owner;
mod pre_account_takeover;
mod sessions;
mod throttling;
