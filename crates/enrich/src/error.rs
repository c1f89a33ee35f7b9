use std::fmt;
use std::io;
use std::path::PathBuf;

/// The kind of MaxMind DB a command-line option expects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DatabaseKind {
    /// A City database (GeoLite2-City layout), given with `--geoip`.
    City,
    /// An ASN database (GeoLite2-ASN layout), given with `--asn`.
    Asn,
}

impl DatabaseKind {
    /// Returns the command-line option that takes a database of this kind.
    pub fn option(self) -> &'static str {
        match self {
            Self::City => "--geoip",
            Self::Asn => "--asn",
        }
    }

    /// Returns the kind as the object of a sentence: "a City database".
    pub fn expected(self) -> &'static str {
        match self {
            Self::City => "a City database",
            Self::Asn => "an ASN database",
        }
    }

    /// Returns the file name of the free database of this kind, for help messages.
    fn example_file(self) -> &'static str {
        match self {
            Self::City => "GeoLite2-City.mmdb",
            Self::Asn => "GeoLite2-ASN.mmdb",
        }
    }
}

impl fmt::Display for DatabaseKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.option())
    }
}

/// A database that could not be opened. Lookups of single addresses never fail: an address
/// that a database does not contain, or whose record cannot be decoded, gets no data.
#[derive(Debug, thiserror::Error)]
pub enum EnrichError {
    #[error("cannot read {kind} database `{path}`: {source}")]
    Unreadable {
        kind: DatabaseKind,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("`{path}` is not a MaxMind DB file: {source}")]
    NotMaxMindDb {
        kind: DatabaseKind,
        path: PathBuf,
        #[source]
        source: maxminddb::MaxMindDbError,
    },
    #[error("`{path}` is a `{database_type}` database; {kind} expects {}", kind.expected())]
    WrongDatabaseType {
        kind: DatabaseKind,
        path: PathBuf,
        /// The `database_type` field of the file's metadata.
        database_type: String,
    },
}

impl EnrichError {
    /// Returns the option that named the database.
    pub fn kind(&self) -> DatabaseKind {
        match self {
            Self::Unreadable { kind, .. }
            | Self::NotMaxMindDb { kind, .. }
            | Self::WrongDatabaseType { kind, .. } => *kind,
        }
    }
}

impl miette::Diagnostic for EnrichError {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        let code = match self {
            Self::Unreadable { .. } => "riposte::enrich::unreadable",
            Self::NotMaxMindDb { .. } => "riposte::enrich::not_mmdb",
            Self::WrongDatabaseType { .. } => "riposte::enrich::wrong_database_type",
        };
        Some(Box::new(code))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        let kind = self.kind();
        let help = match self {
            Self::Unreadable { .. } => return None,
            Self::NotMaxMindDb { .. } | Self::WrongDatabaseType { .. } => format!(
                "{} expects a MaxMind DB file in the {} layout, such as {}",
                kind.option(),
                match kind {
                    DatabaseKind::City => "GeoLite2-City or GeoIP2-City",
                    DatabaseKind::Asn => "GeoLite2-ASN",
                },
                kind.example_file()
            ),
        };
        Some(Box::new(help))
    }
}
