//! Lambda entry point of the organisations function: clients and keys built once at init.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    stratum_infra::logging::init();
    let services = stratum_infra::config::aws_services().await?;
    stratum_infra::lambda::serve(stratum_organisations::api(services).into_router()).await
}
