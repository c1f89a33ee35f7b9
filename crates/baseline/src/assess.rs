//! Scores an event against a baseline, listing every feature that moved the score.

use riposte_model::{Event, Timestamp, trim};
use serde::Serialize;

use crate::baseline::{Entry, is_expired};
use crate::features::{keys, network_prefix};
use crate::time::{date_of, day_of, epoch_seconds};
use crate::{Baseline, BaselineSettings, EventFeatures, Feature};

/// One feature's part in an assessment.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Contribution {
    /// A stable name such as `new_country` or `known_device`.
    pub feature: &'static str,
    /// Positive for what is new, negative for what is well known.
    pub weight: f64,
    /// The value and what the baseline holds, in one phrase an analyst can check.
    pub detail: String,
}

/// The result of assessing an event against a baseline.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Assessment {
    /// Every feature that moved the score, in a fixed order per assessment.
    pub contributions: Vec<Contribution>,
    /// The sum of the weights, clamped to 0..=1.
    pub score: f64,
}

/// An assessment being built, with or without the details of its contributions.
struct Builder {
    assessment: Assessment,
    /// False when only the features and weights are needed: the details stay empty and are
    /// never formatted.
    explain: bool,
}

impl Builder {
    fn new(explain: bool) -> Self {
        Self {
            assessment: Assessment::default(),
            explain,
        }
    }

    fn add(&mut self, feature: &'static str, weight: f64, detail: impl FnOnce() -> String) {
        // A weight set to 0 turns the feature off, so it is not listed.
        if weight != 0.0 {
            self.assessment.contributions.push(Contribution {
                feature,
                weight,
                detail: if self.explain {
                    detail()
                } else {
                    String::new()
                },
            });
        }
    }

    fn finish(self) -> Assessment {
        let mut assessment = self.assessment;
        let sum: f64 = assessment
            .contributions
            .iter()
            .map(|contribution| contribution.weight)
            .sum();
        assessment.score = if sum.is_nan() {
            0.0
        } else {
            sum.clamp(0.0, 1.0)
        };
        assessment
    }
}

impl Assessment {
    /// Returns the contribution of a feature, by its name.
    pub fn contribution(&self, feature: &str) -> Option<&Contribution> {
        self.contributions
            .iter()
            .find(|contribution| contribution.feature == feature)
    }

    /// Returns the number of contributions with a positive weight: how many features were new.
    pub fn new_features(&self) -> usize {
        self.contributions
            .iter()
            .filter(|contribution| contribution.weight > 0.0)
            .count()
    }
}

/// A family of API calls that an intruder makes early, whatever the identity usually does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ApiFamily {
    /// Enumeration of identities, permissions, accounts and resources (ATT&CK T1087, T1069,
    /// T1580).
    Discovery,
    /// Reading secrets, parameters or decrypting with keys (ATT&CK T1552, T1555).
    CredentialAccess,
}

impl ApiFamily {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Discovery => "discovery",
            Self::CredentialAccess => "credential_access",
        }
    }
}

/// AWS operations by family: the service prefix of IAM policies, and an operation name or a
/// name prefix ending in `*`.
const API_FAMILIES: &[(&str, &str, ApiFamily)] = &[
    ("iam", "List*", ApiFamily::Discovery),
    ("iam", "Get*", ApiFamily::Discovery),
    ("sts", "GetCallerIdentity", ApiFamily::Discovery),
    ("organizations", "List*", ApiFamily::Discovery),
    ("organizations", "Describe*", ApiFamily::Discovery),
    ("s3", "ListBuckets", ApiFamily::Discovery),
    ("secretsmanager", "ListSecrets", ApiFamily::Discovery),
    ("ssm", "DescribeParameters", ApiFamily::Discovery),
    ("kms", "ListKeys", ApiFamily::Discovery),
    ("kms", "ListAliases", ApiFamily::Discovery),
    (
        "secretsmanager",
        "GetSecretValue",
        ApiFamily::CredentialAccess,
    ),
    (
        "secretsmanager",
        "BatchGetSecretValue",
        ApiFamily::CredentialAccess,
    ),
    ("kms", "Decrypt", ApiFamily::CredentialAccess),
    ("ssm", "GetParameter", ApiFamily::CredentialAccess),
    ("ssm", "GetParameters", ApiFamily::CredentialAccess),
    ("ssm", "GetParametersByPath", ApiFamily::CredentialAccess),
];

/// Returns the service prefix of an AWS endpoint name: `iam` for `iam.amazonaws.com`. Other
/// names are returned whole.
pub fn service_prefix(service: &str) -> &str {
    let service = trim(service);
    match service.split_once('.') {
        Some((prefix, rest)) if rest.eq_ignore_ascii_case("amazonaws.com") => prefix,
        _ => service,
    }
}

/// Returns the family of an API call, for the AWS calls listed in the table below, or `None`.
///
/// | family | calls |
/// |---|---|
/// | discovery | `iam:List*`, `iam:Get*`, `sts:GetCallerIdentity`, `organizations:List*`, `organizations:Describe*`, `s3:ListBuckets`, `secretsmanager:ListSecrets`, `ssm:DescribeParameters`, `kms:ListKeys`, `kms:ListAliases` |
/// | credential access | `secretsmanager:GetSecretValue`, `secretsmanager:BatchGetSecretValue`, `kms:Decrypt`, `ssm:GetParameter`, `ssm:GetParameters`, `ssm:GetParametersByPath` |
pub fn api_family(service: Option<&str>, operation: &str) -> Option<ApiFamily> {
    let prefix = service_prefix(service?);
    let operation = trim(operation);
    API_FAMILIES
        .iter()
        .find(|(service, pattern, _)| {
            prefix.eq_ignore_ascii_case(service)
                && match pattern.strip_suffix('*') {
                    Some(start) => operation.starts_with(start),
                    None => operation == *pattern,
                }
        })
        .map(|&(_, _, family)| family)
}

/// Names an operation as IAM policies do (`iam:ListUsers`) when the service is an AWS
/// endpoint, else as `service operation` or the operation alone.
fn operation_name(service: Option<&str>, operation: &str) -> String {
    match service {
        Some(service) if service_prefix(service) != trim(service) => {
            format!("{}:{operation}", service_prefix(service))
        }
        Some(service) => format!("{service} {operation}"),
        None => operation.to_owned(),
    }
}

fn plural(count: usize, singular: &str, plural: &str) -> String {
    if count == 1 {
        format!("1 {singular}")
    } else {
        format!("{count} {plural}")
    }
}

/// The baseline as of one event's day: values seen within `max_age_days` of it.
struct View<'a> {
    baseline: &'a Baseline,
    day: u16,
    settings: &'a BaselineSettings,
}

impl View<'_> {
    fn fresh(&self, entry: &Entry) -> bool {
        !is_expired(entry.last_day, self.day, self.settings.max_age_days)
    }

    fn entry(&self, feature: Feature, key: u32) -> Option<&Entry> {
        self.baseline
            .entry(feature, key)
            .filter(|entry| self.fresh(entry))
    }

    fn known(&self, feature: Feature) -> usize {
        self.baseline
            .list(feature)
            .iter()
            .filter(|entry| self.fresh(entry))
            .count()
    }

    /// Returns the number of values known for a feature when `key` is not among them and
    /// at least one is. A value is new only against a baseline that contains others.
    fn novel(&self, feature: Feature, key: u32) -> Option<usize> {
        let known = self.known(feature);
        (known > 0 && self.entry(feature, key).is_none()).then_some(known)
    }

    fn novel_user_agent_family(&self, family: &str) -> Option<usize> {
        let family = keys::user_agent_family(family);
        let mut families: Vec<u32> = self
            .baseline
            .list(Feature::UserAgent)
            .iter()
            .filter(|entry| self.fresh(entry))
            .map(|entry| entry.key >> 8)
            .collect();
        families.sort_unstable();
        families.dedup();
        (!families.is_empty() && !families.contains(&family)).then_some(families.len())
    }

    /// Returns the entry of a value seen at least `established_count` times.
    fn established(&self, feature: Feature, key: u32) -> Option<&Entry> {
        self.entry(feature, key)
            .filter(|entry| entry.count >= self.settings.established_count)
    }

    fn window(&self) -> String {
        format!("known in the last {} days", self.settings.max_age_days)
    }
}

fn asn_name(event: &Event, number: u32) -> String {
    match event
        .source
        .asn
        .as_ref()
        .and_then(|asn| asn.organization.as_deref())
    {
        Some(organization) => format!("AS{number} ({organization})"),
        None => format!("AS{number}"),
    }
}

fn seen_phrase(entry: &Entry) -> String {
    format!(
        "seen {}, last on {}",
        plural(usize::from(entry.count), "time", "times"),
        date_of(entry.last_day)
    )
}

impl Baseline {
    fn view<'a>(&'a self, time: Timestamp, settings: &'a BaselineSettings) -> View<'a> {
        View {
            baseline: self,
            day: day_of(epoch_seconds(time)),
            settings,
        }
    }

    /// Scores a sign-in against the baseline with [`crate::SignInWeights`].
    ///
    /// New values count only against a baseline with other values of the same feature seen
    /// within `max_age_days` of the event, so an identity without location data is never
    /// flagged for a new country. The contributions, in this order when present:
    /// - `new_country`;
    /// - `new_asn`, or `new_prefix` when the event has no autonomous system;
    /// - `new_user_agent_family` and `new_device`;
    /// - `unusual_hour`: no activity within an hour of this time of day on any day, once
    ///   `unusual_hour_min_events` events are learned;
    /// - `known_device`, and `known_asn` for a network seen at least `established_count`
    ///   times.
    pub fn assess_sign_in(&self, event: &Event, settings: &BaselineSettings) -> Assessment {
        self.sign_in_assessment(event, settings, true)
    }

    /// Scores a sign-in as [`Baseline::assess_sign_in`] does, with the same contributions
    /// and score, but leaves every contribution's `detail` empty. A detection that reports
    /// few of the sign-ins it scores formats the details only for one that it reports.
    pub fn score_sign_in(&self, event: &Event, settings: &BaselineSettings) -> Assessment {
        self.sign_in_assessment(event, settings, false)
    }

    /// Lists the network contributions of [`Baseline::assess_sign_in`], with their
    /// details: `new_asn`, or `new_prefix` when the event has no autonomous system, then
    /// `known_asn`. It reads no other feature, so its score counts these alone.
    pub fn assess_sign_in_network(&self, event: &Event, settings: &BaselineSettings) -> Assessment {
        let features = EventFeatures::network_of(event);
        let view = self.view(event.time, settings);
        let weights = &settings.sign_in_weights;
        let mut assessment = Builder::new(true);
        self.add_new_network(
            &mut assessment,
            &view,
            event,
            &features,
            weights.new_asn,
            weights.new_prefix,
        );
        self.add_known_asn(&mut assessment, &view, event, &features, weights.known_asn);
        assessment.finish()
    }

    fn sign_in_assessment(
        &self,
        event: &Event,
        settings: &BaselineSettings,
        explain: bool,
    ) -> Assessment {
        let features = EventFeatures::of(event);
        let view = self.view(event.time, settings);
        let weights = &settings.sign_in_weights;
        let mut assessment = Builder::new(explain);

        if let Some(country) = features.country
            && let Some(known) = view.novel(Feature::Country, keys::country(country))
        {
            assessment.add("new_country", weights.new_country, || {
                format!(
                    "country {country} is new ({}: {})",
                    view.window(),
                    plural(known, "country", "countries")
                )
            });
        }
        self.add_new_network(
            &mut assessment,
            &view,
            event,
            &features,
            weights.new_asn,
            weights.new_prefix,
        );
        if let Some(agent) = features.user_agent
            && let Some(known) = view.novel_user_agent_family(agent.family)
        {
            assessment.add(
                "new_user_agent_family",
                weights.new_user_agent_family,
                || {
                    format!(
                        "client {agent} is of a new family ({}: {})",
                        view.window(),
                        plural(known, "family", "families")
                    )
                },
            );
        }
        if let Some(device) = features.device
            && let Some(known) = view.novel(Feature::Device, keys::device(device))
        {
            assessment.add("new_device", weights.new_device, || {
                format!(
                    "device {device} is new ({}: {})",
                    view.window(),
                    plural(known, "device", "devices")
                )
            });
        }
        if self.event_count >= settings.unusual_hour_min_events {
            let hour = features.hour_of_week % 24;
            let before = (hour + 23) % 24;
            let after = (hour + 1) % 24;
            let activity: u32 = [before, hour, after]
                .into_iter()
                .map(|hour| self.hours.hour_of_day_level(hour))
                .sum();
            if activity == 0 {
                assessment.add("unusual_hour", weights.unusual_hour, || {
                    format!(
                        "no activity between {before:02}:00 and {after:02}:59 UTC on any day of the week"
                    )
                });
            }
        }
        if let Some(device) = features.device
            && let Some(entry) = view.entry(Feature::Device, keys::device(device))
        {
            assessment.add("known_device", weights.known_device, || {
                format!("device {device} {}", seen_phrase(entry))
            });
        }
        self.add_known_asn(&mut assessment, &view, event, &features, weights.known_asn);
        assessment.finish()
    }

    /// Scores an API call of a non-human identity against the baseline with
    /// [`crate::WorkloadWeights`].
    ///
    /// New values count only against a baseline with other values of the same feature, as
    /// for [`Baseline::assess_sign_in`]. The contributions, in this order when present:
    /// - `new_asn`, or `new_prefix` when the event has no autonomous system;
    /// - `new_service` and `new_operation`;
    /// - `new_discovery_operation` or `new_credential_access_operation` when the new
    ///   operation belongs to an [`ApiFamily`];
    /// - `new_user_agent_family`, `new_credential` and `known_asn`.
    pub fn assess_workload_call(&self, event: &Event, settings: &BaselineSettings) -> Assessment {
        self.workload_assessment(event, settings, true)
    }

    /// Scores an API call as [`Baseline::assess_workload_call`] does, with the same
    /// contributions and score, but leaves every contribution's `detail` empty. Detections
    /// score every call of a workload and format the details only for one that they report.
    pub fn score_workload_call(&self, event: &Event, settings: &BaselineSettings) -> Assessment {
        self.workload_assessment(event, settings, false)
    }

    fn workload_assessment(
        &self,
        event: &Event,
        settings: &BaselineSettings,
        explain: bool,
    ) -> Assessment {
        let features = EventFeatures::of(event);
        let view = self.view(event.time, settings);
        let weights = &settings.workload_weights;
        let mut assessment = Builder::new(explain);

        self.add_new_network(
            &mut assessment,
            &view,
            event,
            &features,
            weights.new_asn,
            weights.new_prefix,
        );
        if let Some(service) = features.service
            && let Some(known) = view.novel(Feature::Service, keys::service(service))
        {
            assessment.add("new_service", weights.new_service, || {
                format!(
                    "service {service} is new ({}: {})",
                    view.window(),
                    plural(known, "service", "services")
                )
            });
        }
        if let Some(operation) = features.operation
            && let Some(known) = view.novel(
                Feature::Operation,
                keys::operation(features.service, operation),
            )
        {
            let name = operation_name(features.service, operation);
            assessment.add("new_operation", weights.new_operation, || {
                format!(
                    "operation {name} is new ({}: {})",
                    view.window(),
                    plural(known, "operation", "operations")
                )
            });
            match api_family(features.service, operation) {
                Some(ApiFamily::Discovery) => {
                    assessment.add(
                        "new_discovery_operation",
                        weights.new_discovery_operation,
                        || {
                            format!(
                                "{name} lists or describes identities, permissions or resources"
                            )
                        },
                    );
                }
                Some(ApiFamily::CredentialAccess) => {
                    assessment.add(
                        "new_credential_access_operation",
                        weights.new_credential_access_operation,
                        || format!("{name} reads a secret or decrypts with a key"),
                    );
                }
                None => {}
            }
        }
        if let Some(agent) = features.user_agent
            && let Some(known) = view.novel_user_agent_family(agent.family)
        {
            assessment.add(
                "new_user_agent_family",
                weights.new_user_agent_family,
                || {
                    format!(
                        "client {agent} is of a new family ({}: {})",
                        view.window(),
                        plural(known, "family", "families")
                    )
                },
            );
        }
        if let Some(credential) = features.credential
            && let Some(known) = view.novel(Feature::Credential, keys::credential(credential))
        {
            assessment.add("new_credential", weights.new_credential, || {
                format!(
                    "credential {credential} is new ({}: {})",
                    view.window(),
                    plural(known, "credential", "credentials")
                )
            });
        }
        self.add_known_asn(&mut assessment, &view, event, &features, weights.known_asn);
        assessment.finish()
    }

    /// Adds `new_asn`, or `new_prefix` when the event has no autonomous system.
    fn add_new_network(
        &self,
        assessment: &mut Builder,
        view: &View<'_>,
        event: &Event,
        features: &EventFeatures<'_>,
        new_asn: f64,
        new_prefix: f64,
    ) {
        if let Some(number) = features.asn {
            if let Some(known) = view.novel(Feature::Asn, number) {
                assessment.add("new_asn", new_asn, || {
                    format!(
                        "network {} is new ({}: {})",
                        asn_name(event, number),
                        view.window(),
                        plural(known, "autonomous system", "autonomous systems")
                    )
                });
            }
        } else if let Some(address) = features.address
            && let Some(known) = view.novel(Feature::Prefix, keys::prefix(address))
        {
            assessment.add("new_prefix", new_prefix, || {
                format!(
                    "network {} is new ({}: {})",
                    network_prefix(address),
                    view.window(),
                    plural(known, "network", "networks")
                )
            });
        }
    }

    fn add_known_asn(
        &self,
        assessment: &mut Builder,
        view: &View<'_>,
        event: &Event,
        features: &EventFeatures<'_>,
        weight: f64,
    ) {
        if let Some(number) = features.asn
            && let Some(entry) = view.established(Feature::Asn, number)
        {
            assessment.add("known_asn", weight, || {
                format!("network {} {}", asn_name(event, number), seen_phrase(entry))
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_families_follow_the_table() {
        let iam = Some("iam.amazonaws.com");
        assert_eq!(api_family(iam, "ListUsers"), Some(ApiFamily::Discovery));
        assert_eq!(
            api_family(iam, "GetAccountAuthorizationDetails"),
            Some(ApiFamily::Discovery)
        );
        assert_eq!(api_family(iam, "CreateUser"), None);
        assert_eq!(
            api_family(Some("sts.amazonaws.com"), "GetCallerIdentity"),
            Some(ApiFamily::Discovery)
        );
        assert_eq!(
            api_family(Some("secretsmanager.amazonaws.com"), "GetSecretValue"),
            Some(ApiFamily::CredentialAccess)
        );
        assert_eq!(
            api_family(Some("kms.amazonaws.com"), "Decrypt"),
            Some(ApiFamily::CredentialAccess)
        );
        assert_eq!(api_family(Some("kms.amazonaws.com"), "Encrypt"), None);
        assert_eq!(api_family(None, "ListUsers"), None);
        assert_eq!(api_family(Some("Microsoft Graph"), "ListUsers"), None);
    }

    #[test]
    fn operations_are_named_like_policies() {
        assert_eq!(
            operation_name(Some("iam.amazonaws.com"), "ListUsers"),
            "iam:ListUsers"
        );
        assert_eq!(
            operation_name(Some("Microsoft Graph"), "GET /users"),
            "Microsoft Graph GET /users"
        );
        assert_eq!(
            operation_name(None, "user.session.start"),
            "user.session.start"
        );
    }
}
