//! Configuration: defaults ← `arflow.toml` ← `ARFLOW_*` environment ← command-line flags.
//!
//! Flags and environment variables are read by clap (each flag names its variable); this module
//! reads the optional file and fills what neither gave. An unknown key or a bad value in the file
//! is an error that names the key, so a typo never silently falls back to a default.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::{Failure, exit};

/// Settings from `arflow.toml`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Database URL.
    pub db: Option<String>,
    /// Address `serve` listens on.
    pub addr: Option<SocketAddr>,
    /// Default organisation slug.
    pub org: Option<String>,
}

/// The default database: a SQLite file in the working directory.
pub const DB_DEFAULT: &str = "sqlite://arflow.db";
/// The default listen address.
pub const ADDR_DEFAULT: &str = "127.0.0.1:8080";

impl Config {
    /// Reads `path`, or `./arflow.toml` when no path is given and that file exists.
    ///
    /// # Errors
    /// A [`Failure`] naming the file and the key when the file cannot be read or parsed.
    pub fn load(path: Option<&Path>) -> Result<Config, Failure> {
        let (path, required) = match path {
            Some(p) => (p.to_path_buf(), true),
            None => (PathBuf::from("arflow.toml"), false),
        };
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => {
                return Ok(Config::default());
            }
            Err(e) => {
                return Err(Failure::new(
                    exit::USAGE,
                    format!("cannot read {}: {e}", path.display()),
                ));
            }
        };
        Config::parse(&text)
            .map_err(|e| Failure::new(exit::USAGE, format!("{}: {e}", path.display())))
    }

    /// Parses the text of a configuration file.
    ///
    /// # Errors
    /// The parser's message, which names the unknown key or the bad value.
    pub fn parse(text: &str) -> Result<Config, String> {
        toml::from_str(text).map_err(|e| e.to_string().trim().to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_keys_are_read() {
        let c = Config::parse("db = \"sqlite://x.db\"\naddr = \"0.0.0.0:9000\"\n").unwrap();
        assert_eq!(c.db.as_deref(), Some("sqlite://x.db"));
        assert_eq!(c.addr, Some("0.0.0.0:9000".parse().unwrap()));
    }

    #[test]
    fn an_unknown_key_is_an_error_that_names_it() {
        let e = Config::parse("databse = \"x\"\n").unwrap_err();
        assert!(e.contains("databse"), "{e}");
    }

    #[test]
    fn a_bad_value_is_an_error_that_names_the_key() {
        let e = Config::parse("addr = \"not an address\"\n").unwrap_err();
        assert!(e.contains("addr"), "{e}");
    }
}
