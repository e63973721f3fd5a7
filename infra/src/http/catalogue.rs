//! The routes of a catalogue kind, declared and served from its [`CatalogueEntry`] impl:
//! `catalogue::<PlanView, _>(api)` is all a function adds for a kind.

use super::api::Api;
use super::caller::{Caller, Context};
use super::etag::{IfMatch, with_etag};
use super::operation::Operation;
use super::paging::{Paging, page};
use super::path::Ids;
use super::problem::ApiError;
use super::{Shape, Valid};
use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use stratum_shared::catalogue::{self, CatalogueEntry};
use stratum_shared::identity::Identity;
use stratum_shared::ids::OrganisationId;
use stratum_shared::tenancy::{Grant, Permission};

/// Adds the routes of the kind `T` (see [`CatalogueApi`](stratum_shared::catalogue::CatalogueApi)):
/// create and list on its collection, get and patch (and delete, where the kind may be
/// deleted) on an entry.
pub fn catalogue<T, S>(api: Api<S>) -> Api<S>
where
    T: CatalogueEntry,
    S: Clone + Send + Sync + 'static,
    T::Service: FromRef<S>,
    Identity: FromRef<S>,
{
    let face = T::API;
    let collection = leak(format!("/api/organisations/{{organisation_id}}/{}", face.collection));
    let entry = leak(format!("{collection}/{{{}}}", face.id));
    let id = |verb: &str, plural: &str| leak(format!("{verb}{}{plural}", face.name));
    let manage = T::Manage::PERMISSION;
    // A root-only kind changed through a company answers 409 root_only.
    let update_conflicts: &[u16] = if T::COMPANIES_TOO { &[] } else { &[409] };
    let api = api
        .route(
            Operation::post(collection, id("create", ""))
                .summary(face.tag, face.create)
                .permission(manage)
                .takes::<T::Payload>()
                .answers::<T>(201)
                .tagged()
                .may_answer(&[409]),
            create::<T>,
        )
        .route(
            Operation::get(collection, id("list", "s"))
                .summary(face.tag, face.list)
                .permission(Permission::ReadDevices)
                .lists::<T>(),
            list::<T>,
        )
        .route(
            Operation::get(entry, id("get", ""))
                .summary(face.tag, face.get)
                .permission(Permission::ReadDevices)
                .answers::<T>(200)
                .tagged(),
            get::<T>,
        )
        .route(
            Operation::patch(entry, id("update", ""))
                .summary(face.tag, face.update)
                .permission(manage)
                .takes::<T::Patch>()
                .answers::<T>(200)
                .conditional()
                .may_answer(update_conflicts),
            update::<T>,
        );
    if T::deletable().is_none() {
        return api;
    }
    api.route(
        Operation::delete(entry, id("delete", ""))
            .summary(face.tag, face.delete)
            .permission(manage)
            .answers_nothing(204)
            .conditional()
            .may_answer(&[409]),
        delete::<T>,
    )
}

/// Paths and operation ids live as long as the router built once per process.
fn leak(text: String) -> &'static str {
    Box::leak(text.into_boxed_str())
}

async fn create<T: CatalogueEntry>(
    State(service): State<T::Service>,
    Caller(principal): Caller,
    Context(context): Context,
    Ids(organisation): Ids<OrganisationId>,
    Valid(Shape(body)): Valid<Shape<T::Payload>>,
) -> Result<Response, ApiError> {
    let (entry, version) = catalogue::create::<T>(&service, &principal, &context, organisation, body).await?;
    Ok(with_etag(StatusCode::CREATED, version, entry))
}

async fn list<T: CatalogueEntry>(
    State(service): State<T::Service>,
    Caller(principal): Caller,
    Ids(organisation): Ids<OrganisationId>,
    paging: Paging,
) -> Result<Response, ApiError> {
    let (entries, next) =
        catalogue::entries::<T>(&service, &principal, organisation, paging.limit, paging.cursor).await?;
    Ok(page(entries, next).into_response())
}

async fn get<T: CatalogueEntry>(
    State(service): State<T::Service>,
    Caller(principal): Caller,
    Ids((organisation, id)): Ids<(OrganisationId, T::Id)>,
) -> Result<Response, ApiError> {
    let (entry, version) = catalogue::entry::<T>(&service, &principal, organisation, id).await?;
    Ok(with_etag(StatusCode::OK, version, entry))
}

async fn update<T: CatalogueEntry>(
    State(service): State<T::Service>,
    Caller(principal): Caller,
    Context(context): Context,
    Ids((organisation, id)): Ids<(OrganisationId, T::Id)>,
    IfMatch(expected): IfMatch,
    Valid(Shape(body)): Valid<Shape<T::Patch>>,
) -> Result<Response, ApiError> {
    let (entry, version) =
        catalogue::update::<T>(&service, &principal, &context, organisation, id, body, expected).await?;
    Ok(with_etag(StatusCode::OK, version, entry))
}

async fn delete<T: CatalogueEntry>(
    State(service): State<T::Service>,
    Caller(principal): Caller,
    Context(context): Context,
    Ids((organisation, id)): Ids<(OrganisationId, T::Id)>,
    IfMatch(expected): IfMatch,
) -> Result<StatusCode, ApiError> {
    catalogue::delete::<T>(&service, &principal, &context, organisation, id, expected).await?;
    Ok(StatusCode::NO_CONTENT)
}
