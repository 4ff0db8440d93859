//! Command line: `serve`, `import`, `healthcheck`, `bench` (API.md "Process").

mod bench;
mod bench_taxii;
mod fanout;
mod import;
mod sync_bench;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::config::{CliOverrides, Config, ConfigError};

#[derive(Debug, Parser)]
#[command(
    name = "stixhub",
    version,
    about = "A self-hosted threat-intelligence hub: STIX 2.1 store and OpenCTI-compatible live streams"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args, Clone, Default)]
pub struct Common {
    /// Data directory (env STIXHUB_DATA; default ./stixhub-data)
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// TOML configuration file (env STIXHUB_CONFIG)
    #[arg(long)]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start the hub
    Serve {
        #[command(flatten)]
        common: Common,
        /// Listen address (env STIXHUB_BIND; default 127.0.0.1:4000)
        #[arg(long)]
        bind: Option<String>,
    },
    /// Import STIX bundles (.json or .json.gz) into the data directory, or into a running hub with --url
    Import {
        #[command(flatten)]
        common: Common,
        /// Base URL of a running hub (e.g. http://127.0.0.1:4000)
        #[arg(long, requires = "token")]
        url: Option<String>,
        /// API token for --url (env STIXHUB_TOKEN)
        #[arg(long, env = "STIXHUB_TOKEN", hide_env_values = true)]
        token: Option<String>,
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Exit 0 when the hub answers /healthz
    Healthcheck {
        #[command(flatten)]
        common: Common,
        /// Base URL of the hub (default: from the configured bind address)
        #[arg(long)]
        url: Option<String>,
    },
    /// Measure ingest and stream replay against raw sled on the same bytes
    Bench(bench::BenchArgs),
    /// Measure TAXII objects/s against medallion (PyPI, memory backend) on the same bundle
    BenchTaxii(bench_taxii::BenchTaxiiArgs),
}

/// The configuration for a command (CLI > env > file > defaults).
pub fn load_config(common: &Common, bind: Option<String>) -> Result<Config, ConfigError> {
    let cli = CliOverrides {
        config_file: common.config.clone(),
        data: common.data.clone(),
        bind,
    };
    Config::load(&cli, |k| std::env::var(k).ok())
}

pub use bench::run as bench;
pub use bench_taxii::run as bench_taxii;
pub use import::{healthcheck, import, read_bundle_file};
