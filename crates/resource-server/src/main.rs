use std::process::ExitCode;

use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    let result = match auth_core::serve::init_tracing() {
        // The log writer flushes when `_log` drops, before the exit line.
        Ok(_log) => resource_server::main(resource_server::Config::parse()).await,
        Err(e) => Err(e),
    };
    auth_core::serve::exit_code("resource-server", result)
}
