//! Lambda entry point of the system function (API Gateway HTTP API, payload v2).

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    stratum_infra::logging::init();
    lambda_http::run(stratum_system::api().into_router()).await
}
