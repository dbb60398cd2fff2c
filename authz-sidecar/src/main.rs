//! `cretoai-authz-sidecar`: starts with no arguments; see `--help`.

use actix_web::{web, App, HttpServer};
use clap::Parser;
use cretoai_authz_sidecar::api;
use cretoai_authz_sidecar::config::{Command, Config, Flags};
use cretoai_authz_sidecar::state::{AppState, Secrets};

fn main() -> std::process::ExitCode {
    // Colour codes only when a person watches a terminal: in a file or a collector they are
    // noise.
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
        .init();
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cretoai-authz-sidecar: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let mut flags = Flags::parse();
    let command = flags.command.take();
    let config = Config::load(flags)?;
    if command == Some(Command::Health) {
        return match cretoai_authz_sidecar::https::health(&config)? {
            200 => Ok(()),
            status => Err(format!("health: /ready answered {status}").into()),
        };
    }
    cretoai_authz_sidecar::https::install_outgoing(&config)?;
    let listener = cretoai_authz_sidecar::https::listener(&config)?;
    eprintln!("cretoai-authz-sidecar configuration:\n{}", config.display());
    let listen = config.listen;
    let (state, new_token) = AppState::open(config, Secrets::from_env())?;
    if let Some(token) = new_token {
        // Printed once, on the run that created it; only its hash is stored.
        eprintln!("generated admin token (shown only now): {}", token.as_str());
    }
    tracing::info!(
        %listen,
        mode = %state.mode(),
        signing_alg = %state.signing_alg(),
        engine = state.engine.name(),
        "sidecar ready"
    );
    let state = web::Data::new(state);
    actix_web::rt::System::new().block_on(async move {
        // Keeps each connection's handshake report for GET /v1/sys/connection.
        let server = HttpServer::new(move || App::new().configure(api::configure(state.clone())))
            .on_connect(cretoai_tls::caller::on_connect(|_| {}));
        let server = match listener {
            cretoai_tls::Listener::Tls(tls) => server.bind_rustls_0_23(listen, tls.config)?,
            cretoai_tls::Listener::Plain(_) => server.bind(listen)?,
        };
        server.run().await
    })?;
    Ok(())
}
