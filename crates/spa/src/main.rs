use std::net::{Ipv4Addr, SocketAddr};

use clap::Parser;

/// The workshop's single-page app, on loopback only: a page of another site
/// (or of the same one) that uses the servers of this machine.
#[derive(Parser)]
#[command(name = "spa", version)]
struct Config {
    /// Port on 127.0.0.1. Visit it as http://localhost:PORT (another site than
    /// the servers) and as http://127.0.0.1:PORT (the same site).
    #[arg(long, env = "SPA_PORT", default_value_t = 5173)]
    port: u16,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::parse();
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, config.port));
    let listener = tokio::net::TcpListener::bind(addr).await?;
    // The port bound, not the one asked for: 0 asks for any free one.
    let port = listener.local_addr()?.port();
    println!(
        "single-page app on http://localhost:{port}/ (another site than the servers) and \
         http://127.0.0.1:{port}/ (the same site); name its API with \
         ?credential=session|bearer|cookie&api=http://127.0.0.1:3001, and start the server \
         with ALLOWED_ORIGINS=http://localhost:{port},http://127.0.0.1:{port}",
    );
    axum::serve(listener, spa::app()).await?;
    Ok(())
}
