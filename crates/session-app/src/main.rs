use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let _log = auth_core::serve::init_tracing()?;
    session_app::main(session_app::Cli::parse()).await
}
