use std::{net::SocketAddr, process::ExitCode};

use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    auth_core::serve::exit_code("workshop", run(workshop::Config::parse()).await)
}

async fn run(mut config: workshop::Config) -> anyhow::Result<()> {
    let addr = SocketAddr::from(([127, 0, 0, 1], config.port));
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| auth_core::serve::cannot_listen("workshop page", addr, &e))?;
    // The port bound, not the one asked for (0: any free one): the page
    // names its own origin with it.
    let port = listener.local_addr()?.port();
    config.port = port;
    println!("the workshop's side-by-side page on http://127.0.0.1:{port}/");
    axum::serve(listener, workshop::app(&config)?)
        .with_graceful_shutdown(auth_core::serve::shutdown_signal())
        .await?;
    Ok(())
}
