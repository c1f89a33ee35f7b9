use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::bail;
use clap::{Args, Subcommand};
use riposte_baseline::{Baseline, BaselineSettings, Feature};
use riposte_identity::{
    GrantedPrivilege, IdentityGraph, Inventory, ObservedUsage, blast_radius,
    containment_constraints, parse_identity_key,
};
use riposte_report::Escaped;

use crate::OutputFormat;
use riposte_store::{IdentityFilter, IdentityRecord, Store};
use serde_json::{Value, json};

const EXAMPLES: &str = "Examples:
  riposte identities list --state riposte.db
  riposte identities list --state riposte.db --kind iam_user_access_key --format jsonl
  riposte identities show --state riposte.db alice@example.com
  riposte identities show --state riposte.db aws:arn:aws:iam::111111111111:user/ci-deploy";

/// List and inspect the identities a state file knows: kind, linked accounts, owner,
/// baseline, blast radius and recent findings.
#[derive(Args)]
#[command(after_help = EXAMPLES)]
pub struct IdentitiesArgs {
    #[command(subcommand)]
    command: IdentitiesCommand,
}

#[derive(Subcommand)]
enum IdentitiesCommand {
    /// List identities, oldest id first.
    List(ListArgs),
    /// Show one identity: by store id, by key (`provider:id`) or by e-mail address.
    Show(ShowArgs),
}

#[derive(Args)]
struct CommonArgs {
    /// State file written by `riposte hunt --state`.
    #[arg(long, value_name = "FILE")]
    state: PathBuf,

    /// Inventory (YAML), for owners, declared kinds and blast-radius facts.
    #[arg(long, value_name = "FILE")]
    inventory: Option<PathBuf>,

    /// Output format.
    #[arg(short, long, value_enum, default_value_t = OutputFormat::Text)]
    format: OutputFormat,
}

#[derive(Args)]
struct ListArgs {
    #[command(flatten)]
    common: CommonArgs,

    /// Only identities of this kind, for example `human` or `iam_user_access_key`.
    #[arg(long, value_name = "KIND")]
    kind: Option<String>,

    /// Maximum number of identities listed.
    #[arg(long, default_value_t = 100, value_name = "COUNT")]
    limit: usize,
}

#[derive(Args)]
struct ShowArgs {
    #[command(flatten)]
    common: CommonArgs,

    /// Store id, identity key (`okta:00u...`, `aws:arn:...`) or e-mail address.
    identity: String,

    /// Number of recent findings shown.
    #[arg(long, default_value_t = 10, value_name = "COUNT")]
    findings: usize,
}

pub fn run(args: IdentitiesArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        IdentitiesCommand::List(list) => run_list(&list),
        IdentitiesCommand::Show(show) => run_show(&show),
    }
}

/// The state file, the identity graph of the inventory, and the baseline settings.
struct View {
    store: Store,
    graph: IdentityGraph,
    settings: BaselineSettings,
}

impl View {
    fn open(common: &CommonArgs) -> anyhow::Result<Self> {
        let store = Store::open_read_only(&common.state)?;
        let inventory = match &common.inventory {
            Some(path) => Inventory::load(path).map_err(|errors| anyhow::anyhow!("{errors}"))?,
            None => Inventory::default(),
        };
        Ok(Self {
            store,
            graph: IdentityGraph::new(inventory),
            settings: BaselineSettings::default(),
        })
    }

    fn baseline(&self, id: i64) -> anyhow::Result<Option<Baseline>> {
        let Some(stored) = self.store.baseline(id)? else {
            return Ok(None);
        };
        let baseline = Baseline::from_bytes(&stored.data)
            .map_err(|error| anyhow::anyhow!("stored baseline of identity {id}: {error}"))?;
        Ok(Some(baseline))
    }

    /// Describes an identity as one JSON object; `detail` adds links, the baseline, the blast
    /// radius and recent findings.
    fn describe(
        &self,
        identity: &IdentityRecord,
        detail: bool,
        findings: usize,
    ) -> anyhow::Result<Value> {
        let resolved = self.graph.resolve(&identity.key);
        // One damaged baseline must not hide the rest of the identity.
        let baseline = self.baseline(identity.id).unwrap_or_else(|error| {
            tracing::error!(%error, "baseline unreadable");
            None
        });
        let privileges: Vec<GrantedPrivilege> = self
            .store
            .privileges(identity.id)?
            .into_iter()
            .map(|privilege| GrantedPrivilege {
                name: privilege.privilege,
                admin_equivalent: privilege.admin,
                granted_at: Some(privilege.first_seen),
            })
            .collect();
        let usage = ObservedUsage {
            networks: baseline.as_ref().map_or(0, |b| b.len(Feature::Prefix)),
            user_agent_families: baseline.as_ref().map_or(0, |b| b.len(Feature::UserAgent)),
            workloads: baseline.as_ref().map_or(0, |b| b.len(Feature::Device)),
            privileges: privileges.clone(),
        };
        let radius = blast_radius(&resolved, &usage);
        let mut value = json!({
            "type": "identity",
            "id": identity.id,
            "identity": identity.key.to_string(),
            "kind": identity.effective_kind(),
            "logged_kind": identity.kind.as_str(),
            "name": identity.display_name,
            "email": identity.email,
            "owner": resolved.owner,
            "first_seen": identity.first_seen,
            "last_seen": identity.last_seen,
            "events": identity.event_count,
            "authentications": identity.authentication_count,
            "blast_radius": {"tier": radius.tier.as_str(), "reasons": radius.reasons, "shared": radius.shared},
        });
        if !detail {
            return Ok(value);
        }
        let constraints = containment_constraints(&resolved, &radius);
        let mut links = Vec::new();
        for link in self.store.links(identity.id)? {
            let other = self.store.identity(link.other)?;
            links.push(json!({
                "identity": other.map(|other| other.key.to_string()),
                "source": link.source.as_str(),
                "evidence": link.evidence,
                "first_seen": link.first_seen,
            }));
        }
        let recent: Vec<Value> = self
            .store
            .recent_findings(identity.id, findings)?
            .into_iter()
            .map(|finding| {
                let record: Value = serde_json::from_str(&finding.record).unwrap_or(Value::Null);
                json!({
                    "id": finding.id,
                    "detection": finding.detection,
                    "severity": finding.severity.as_str(),
                    "first_seen": finding.first_seen,
                    "explanation": record.get("explanation"),
                })
            })
            .collect();
        if let Some(object) = value.as_object_mut() {
            object.insert("links".into(), Value::Array(links));
            object.insert(
                "environment".into(),
                json!(
                    resolved
                        .environment
                        .map(|environment| environment.to_string())
                ),
            );
            object.insert("break_glass".into(), json!(resolved.break_glass));
            object.insert("dependents".into(), json!(resolved.dependents));
            object.insert(
                "privileges".into(),
                json!(privileges
                    .iter()
                    .map(|privilege| json!({"name": privilege.name, "admin": privilege.admin_equivalent}))
                    .collect::<Vec<_>>()),
            );
            object.insert(
                "baseline".into(),
                baseline.map_or(Value::Null, |baseline| self.baseline_summary(&baseline)),
            );
            object.insert("containment".into(), json!(constraints));
            object.insert("recent_findings".into(), Value::Array(recent));
        }
        Ok(value)
    }

    fn baseline_summary(&self, baseline: &Baseline) -> Value {
        let learning = baseline
            .last_seen()
            .map(|at| baseline.is_learning(at, &self.settings));
        json!({
            "first_seen": baseline.first_seen(),
            "last_seen": baseline.last_seen(),
            "events": baseline.event_count(),
            "authentications": baseline.authentication_count(),
            "learning": learning,
            "countries": baseline.len(Feature::Country),
            "cities": baseline.len(Feature::City),
            "asns": baseline.len(Feature::Asn),
            "networks": baseline.len(Feature::Prefix),
            "user_agents": baseline.len(Feature::UserAgent),
            "devices": baseline.len(Feature::Device),
            "services": baseline.len(Feature::Service),
            "operations": baseline.len(Feature::Operation),
            "credentials": baseline.len(Feature::Credential),
        })
    }

    /// Finds identities by store id or key (one identity), or by e-mail address (every
    /// account of that person).
    fn find(&self, wanted: &str) -> anyhow::Result<Vec<IdentityRecord>> {
        if let Ok(id) = wanted.parse::<i64>() {
            if let Some(identity) = self.store.identity(id)? {
                return Ok(vec![identity]);
            }
        }
        let wanted = wanted.strip_prefix("person:").unwrap_or(wanted);
        if let Ok(mut key) = parse_identity_key(wanted) {
            if let Some(identity) = self.store.identity_by_key(&key)? {
                return Ok(vec![identity]);
            }
            // Entra object ids are GUIDs, which the logs write in lowercase and people often
            // copy in uppercase from the portal.
            if key.provider == riposte_model::Provider::Entra {
                key.id = key.id.to_ascii_lowercase().into();
                if let Some(identity) = self.store.identity_by_key(&key)? {
                    return Ok(vec![identity]);
                }
            }
        }
        let by_email = self.store.identities_with_email(wanted)?;
        if by_email.is_empty() {
            bail!(
                "no identity `{wanted}` in the state file: give a store id, a key such as \
                 `okta:00u1abcd`, or an e-mail address (see `riposte identities list`)"
            );
        }
        Ok(by_email)
    }
}

fn run_list(args: &ListArgs) -> anyhow::Result<ExitCode> {
    let view = View::open(&args.common)?;
    let identities = view.store.list_identities(&IdentityFilter {
        kind: args.kind.clone(),
        limit: args.limit,
        ..IdentityFilter::default()
    })?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    if args.common.format == OutputFormat::Text {
        writeln!(
            out,
            "{:>6}  {:<24}  {:<8}  {:>7}  {:<20}  identity",
            "id", "kind", "tier", "events", "last seen"
        )?;
    }
    for identity in &identities {
        let value = view.describe(identity, false, 0)?;
        match args.common.format {
            OutputFormat::Jsonl => writeln!(out, "{value}")?,
            OutputFormat::Text => writeln!(
                out,
                "{:>6}  {:<24}  {:<8}  {:>7}  {:<20}  {}",
                identity.id,
                identity.effective_kind(),
                at(&value, &["blast_radius", "tier"])
                    .as_str()
                    .unwrap_or("-"),
                identity.event_count,
                identity.last_seen.format("%Y-%m-%d %H:%M:%SZ"),
                Escaped(&identity.key.to_string())
            )?,
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn run_show(args: &ShowArgs) -> anyhow::Result<ExitCode> {
    let view = View::open(&args.common)?;
    let identities = view.find(&args.identity)?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for (position, identity) in identities.iter().enumerate() {
        let value = view.describe(identity, true, args.findings)?;
        match args.common.format {
            OutputFormat::Jsonl => writeln!(out, "{value}")?,
            OutputFormat::Text => {
                if position > 0 {
                    writeln!(out)?;
                }
                write_show(&mut out, &value)?;
            }
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// Writes the text form of `identities show` from its JSON description.
fn write_show(out: &mut dyn Write, value: &Value) -> std::io::Result<()> {
    let text = |key: &str| {
        value[key]
            .as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| "-".to_owned())
    };
    writeln!(out, "{}", Escaped(&text("identity")))?;
    writeln!(
        out,
        "  kind         {} (logged as {})",
        text("kind"),
        text("logged_kind")
    )?;
    writeln!(out, "  name         {}", Escaped(&text("name")))?;
    writeln!(out, "  email        {}", Escaped(&text("email")))?;
    writeln!(out, "  owner        {}", Escaped(&text("owner")))?;
    writeln!(out, "  environment  {}", text("environment"))?;
    writeln!(
        out,
        "  seen         {} to {}",
        text("first_seen"),
        text("last_seen")
    )?;
    writeln!(
        out,
        "  events       {} ({} authentications)",
        at(value, &["events"]),
        at(value, &["authentications"])
    )?;
    writeln!(out, "  linked accounts")?;
    let links = at(value, &["links"])
        .as_array()
        .cloned()
        .unwrap_or_default();
    if links.is_empty() {
        writeln!(out, "    none")?;
    }
    for link in links {
        writeln!(
            out,
            "    {} via {} ({})",
            Escaped(at(&link, &["identity"]).as_str().unwrap_or("-")),
            at(&link, &["source"]).as_str().unwrap_or("-"),
            Escaped(at(&link, &["evidence"]).as_str().unwrap_or("-"))
        )?;
    }
    let baseline = &at(value, &["baseline"]);
    if baseline.is_null() {
        writeln!(out, "  baseline     none")?;
    } else {
        let learning = if at(baseline, &["learning"]).as_bool() == Some(true) {
            "learning"
        } else {
            "judging"
        };
        writeln!(
            out,
            "  baseline     {learning}, {} events: {} countries, {} ASNs, {} networks, {} user agents, {} devices, {} services, {} operations, {} credentials",
            at(baseline, &["events"]),
            at(baseline, &["countries"]),
            at(baseline, &["asns"]),
            at(baseline, &["networks"]),
            at(baseline, &["user_agents"]),
            at(baseline, &["devices"]),
            at(baseline, &["services"]),
            at(baseline, &["operations"]),
            at(baseline, &["credentials"])
        )?;
    }
    writeln!(
        out,
        "  blast radius {}",
        at(value, &["blast_radius", "tier"]).as_str().unwrap_or("-")
    )?;
    for reason in at(value, &["blast_radius", "reasons"])
        .as_array()
        .into_iter()
        .flatten()
    {
        writeln!(out, "    {}", Escaped(reason.as_str().unwrap_or("")))?;
    }
    for reason in at(value, &["containment", "reasons"])
        .as_array()
        .into_iter()
        .flatten()
    {
        writeln!(out, "    {}", Escaped(reason.as_str().unwrap_or("")))?;
    }
    writeln!(out, "  recent findings")?;
    let findings = at(value, &["recent_findings"])
        .as_array()
        .cloned()
        .unwrap_or_default();
    if findings.is_empty() {
        writeln!(out, "    none")?;
    }
    for finding in findings {
        writeln!(
            out,
            "    {}  {}  {}",
            at(&finding, &["first_seen"]).as_str().unwrap_or("-"),
            at(&finding, &["detection"]).as_str().unwrap_or("-"),
            at(&finding, &["severity"]).as_str().unwrap_or("-")
        )?;
        writeln!(
            out,
            "      {}",
            Escaped(at(&finding, &["explanation"]).as_str().unwrap_or(""))
        )?;
    }
    Ok(())
}

static NULL: Value = Value::Null;

/// Returns the value at `path`, or `null` when any step is missing.
fn at<'a>(value: &'a Value, path: &[&str]) -> &'a Value {
    path.iter()
        .try_fold(value, |current, key| current.get(*key))
        .unwrap_or(&NULL)
}
