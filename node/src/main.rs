//! `cretoai-node`: parse the configuration, start logging, serve.

use clap::Parser;
use cretoai_node::config::{Cli, Command, Config, LogFormat};
use std::io::IsTerminal;
use std::process::ExitCode;
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let command = cli.command.clone();
    let config = match Config::load(cli) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("cretoai-node: {e}");
            return ExitCode::from(2);
        }
    };
    if command == Some(Command::Identity) {
        return match cretoai_node::network::identity::show(&config) {
            Ok(id) => {
                println!("{id}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("cretoai-node: {e}");
                ExitCode::FAILURE
            }
        };
    }
    if let Some(Command::IssueCertificate { ca_dir, out }) = &command {
        let mut names = vec!["localhost".to_string(), "127.0.0.1".to_string()];
        for name in &config.tls.san {
            if !names.contains(name) {
                names.push(name.clone());
            }
        }
        return match cretoai_tls::authority::ensure_issued(ca_dir, out, &names) {
            Ok(issued) => {
                println!(
                    "{} for {} (CA {}{})",
                    issued.cert.display(),
                    names.join(", "),
                    issued.ca.display(),
                    if issued.issued_server {
                        ", new"
                    } else {
                        ", kept"
                    }
                );
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("cretoai-node: {e}");
                ExitCode::FAILURE
            }
        };
    }
    if command == Some(Command::Health) {
        return match cretoai_node::https::health(&config) {
            Ok(200) => ExitCode::SUCCESS,
            Ok(status) => {
                eprintln!("cretoai-node health: /ready answered {status}");
                ExitCode::FAILURE
            }
            Err(e) => {
                eprintln!("cretoai-node health: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let filter = EnvFilter::try_new(&config.log_level).unwrap_or_else(|_| EnvFilter::new("info"));
    // Logs go to stderr; stdout carries only the one-time root token line. Colour codes only
    // when a person watches a terminal: in a file or a collector they are noise.
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    match config.log_format {
        LogFormat::Json => logs.json().init(),
        LogFormat::Text => logs.init(),
    }
    tracing::info!(config = ?config, "starting cretoai-node");
    match actix_web::rt::System::new().block_on(cretoai_node::run(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "cretoai-node stopped");
            eprintln!("cretoai-node: {e}");
            ExitCode::FAILURE
        }
    }
}
