use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let _log = auth_core::serve::init_tracing()?;
    resource_server::main(resource_server::Config::parse()).await
}
