use std::{net::SocketAddr, process::ExitCode};

use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    auth_core::serve::exit_code("workshop", run(workshop::Config::parse()).await)
}

async fn run(config: workshop::Config) -> anyhow::Result<()> {
    let addr = SocketAddr::from(([127, 0, 0, 1], config.port));
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| auth_core::serve::cannot_listen("workshop page", addr, &e))?;
    let port = listener.local_addr()?.port();
    println!("the workshop's side-by-side page on http://127.0.0.1:{port}/");
    axum::serve(listener, workshop::app(&config)?)
        .with_graceful_shutdown(auth_core::serve::shutdown_signal())
        .await?;
    Ok(())
}
