use std::net::SocketAddr;

use clap::Parser;
use jwt_app::Config;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    auth_core::serve::init_tracing();
    let config = Config::parse();
    let addr = SocketAddr::new(config.common.bind, config.port);
    let app = jwt_app::app(config).await?;
    auth_core::serve::run("jwt-app", addr, app).await
}
