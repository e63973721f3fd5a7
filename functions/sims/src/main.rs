//! Lambda entry point of the sims function: clients and keys built once at init.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    stratum_infra::logging::init();
    let services = stratum_infra::config::aws_services().await?;
    let sims = stratum_infra::config::aws_sims(&services).await?;
    stratum_infra::lambda::serve(stratum_sims::api(services.identity, sims).into_router()).await
}
