//! Lambda entry point of the devices function: clients and keys built once at init.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    stratum_infra::logging::init();
    let services = stratum_infra::config::aws_services().await?;
    let identity = services.identity;
    let aws = stratum_infra::aws::sdk_config().await;
    let devices = stratum_shared::devices::Devices {
        store: identity.store.clone(),
        clock: identity.clock.clone(),
        jobs: stratum_infra::config::aws_job_queue(&aws)?,
        gateway: stratum_infra::config::aws_device_gateway(&aws)?,
        secrets: identity.secrets.clone(),
        notices: stratum_shared::alerts::Notices::of(&identity),
    };
    stratum_infra::lambda::serve(stratum_devices::api(identity, devices).into_router()).await
}
