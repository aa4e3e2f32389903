use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let _log = auth_core::serve::init_tracing()?;
    jwt_app::main(jwt_app::Cli::parse()).await
}
