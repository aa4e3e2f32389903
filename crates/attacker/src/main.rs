use std::net::{Ipv4Addr, SocketAddr};

use clap::Parser;

/// The workshop's attacker page, on loopback only: it exists to attack the
/// servers of the machine it runs on.
#[derive(Parser)]
#[command(name = "attacker", version)]
struct Config {
    /// Port on 127.0.0.1. Visit it as http://127.0.0.1:PORT (the same site as
    /// the servers) and as http://localhost:PORT (another site).
    #[arg(long, env = "ATTACKER_PORT", default_value_t = 4000)]
    port: u16,

    /// Record the requests this server receives and serve them at
    /// `GET /debug/requests`, for the workshop's side-by-side page.
    #[arg(long, env = "INSPECT", default_value_t = false)]
    inspect: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::parse();
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, config.port));
    let listener = tokio::net::TcpListener::bind(addr).await?;
    // The port bound, not the one asked for: 0 asks for any free one.
    let port = listener.local_addr()?.port();
    println!(
        "attacker page on http://127.0.0.1:{port}/ (same site as the servers) \
         and http://localhost:{port}/ (another site); aim it with ?target=http://127.0.0.1:3000",
    );
    let app = if config.inspect {
        attacker::inspected_app()
    } else {
        attacker::app()
    };
    axum::serve(listener, app).await?;
    Ok(())
}
