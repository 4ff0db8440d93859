use std::process::ExitCode;

use clap::Parser;
use stixhub::cli::{self, Cli, Command};
use tokio_util::sync::CancellationToken;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let ok = match cli.command {
        Command::Serve { common, bind } => serve(&common, bind).await,
        Command::Import {
            common,
            url,
            token,
            files,
        } => match cli::load_config(&common, None) {
            Ok(config) => cli::import(config, url, token, files).await,
            Err(e) => fail(&e),
        },
        Command::Healthcheck { common, url } => match cli::load_config(&common, None) {
            Ok(config) => cli::healthcheck(&config, url).await,
            Err(e) => fail(&e),
        },
        Command::Bench(args) => cli::bench(args).await,
        Command::BenchTaxii(args) => cli::bench_taxii(args).await,
    };
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

async fn serve(common: &cli::Common, bind: Option<String>) -> bool {
    let config = match cli::load_config(common, bind) {
        Ok(c) => c,
        Err(e) => return fail(&e),
    };
    let listener = match std::net::TcpListener::bind(&config.bind) {
        Ok(l) => l,
        Err(e) => return fail(&format!("cannot listen on {}: {e}", config.bind)),
    };
    let shutdown = CancellationToken::new();
    tokio::spawn(wait_for_signal(shutdown.clone()));
    match stixhub::app::run(config, listener, shutdown).await {
        Ok(()) => true,
        Err(e) => fail(&e),
    }
}

async fn wait_for_signal(shutdown: CancellationToken) {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    let sigterm = async move {
        match term.as_mut() {
            Some(s) => s.recv().await,
            None => std::future::pending().await,
        }
    };
    tokio::select! { _ = tokio::signal::ctrl_c() => {}, _ = sigterm => {} }
    shutdown.cancel();
}

fn fail(e: &dyn std::fmt::Display) -> bool {
    eprintln!("stixhub: {e}");
    false
}
