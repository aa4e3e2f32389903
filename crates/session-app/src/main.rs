use std::net::SocketAddr;

use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    auth_core::serve::init_tracing();
    let config = session_app::Config::parse();
    let addr = SocketAddr::new(config.common.bind, config.port);
    let app = session_app::app(config).await?;
    auth_core::serve::run("session-app", addr, app).await
}
