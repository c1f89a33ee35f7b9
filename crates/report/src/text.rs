//! The terminal report: incidents first, then the summary.

use std::fmt;
use std::io::{self, Write};

use riposte_engine::Summary;
use riposte_model::{Finding, Incident, ResponseStep, Severity};

/// Text from the logs shown on a terminal, with control characters escaped.
///
/// Log values are attacker-controlled: a role name holding an escape sequence could retitle
/// the terminal or clear it, and a newline could forge report lines. Every character for which
/// `char::is_control` is true prints as a Rust escape (`\u{1b}`, `\n`), and so does every
/// bidirectional formatting character, which could make a name display as another.
pub struct Escaped<'a>(pub &'a str);

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for character in self.0.chars() {
            if character.is_control() {
                write!(f, "{}", character.escape_default())?;
            } else if is_bidi_control(character) {
                // A bidirectional override in a log value could reorder what the terminal shows,
                // so that a name reads as something else.
                write!(f, "{}", character.escape_unicode())?;
            } else {
                write!(f, "{character}")?;
            }
        }
        Ok(())
    }
}

/// Returns true for the Unicode bidirectional formatting characters: the embeddings and
/// overrides U+202A to U+202E, the isolates U+2066 to U+2069, and the marks U+200E, U+200F and
/// U+061C.
fn is_bidi_control(character: char) -> bool {
    matches!(
        character,
        '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}'
    )
}

/// How many evidence events are listed per finding; the rest are counted.
const EVIDENCE_SHOWN: usize = 5;

#[derive(Clone, Copy, Debug, Default)]
pub struct TextOptions {
    /// Highlight severities with ANSI colours.
    pub color: bool,
}

/// Writes the report for a person: each incident with its findings and containment plan, then
/// the summary of what was read.
pub fn write_text(
    out: &mut dyn Write,
    incidents: &[Incident],
    summary: &Summary,
    reject_samples: &[String],
    options: TextOptions,
) -> io::Result<()> {
    if incidents.is_empty() {
        writeln!(out, "No incidents.")?;
    } else {
        let word = if incidents.len() == 1 {
            "incident"
        } else {
            "incidents"
        };
        writeln!(out, "{} {word}", incidents.len())?;
    }
    for incident in incidents {
        writeln!(out)?;
        write_incident(out, incident, options)?;
    }
    writeln!(out)?;
    write_summary(out, summary, reject_samples)?;
    out.flush()
}

fn severity_label(severity: Severity, options: TextOptions) -> String {
    let label = severity.as_str().to_uppercase();
    if !options.color {
        return label;
    }
    let code = match severity {
        Severity::Critical => "1;31",
        Severity::High => "31",
        Severity::Medium => "33",
        Severity::Low | Severity::Info => "36",
    };
    format!("\x1b[{code}m{label}\x1b[0m")
}

fn time(timestamp: &riposte_model::Timestamp) -> String {
    timestamp.format("%Y-%m-%d %H:%M:%SZ").to_string()
}

fn write_incident(
    out: &mut dyn Write,
    incident: &Incident,
    options: TextOptions,
) -> io::Result<()> {
    let identity = &incident.identity;
    writeln!(
        out,
        "{}  {}  {}",
        incident.id,
        severity_label(incident.severity, options),
        Escaped(identity.display_name())
    )?;
    writeln!(
        out,
        "  identity   {} ({})",
        Escaped(&identity.key.to_string()),
        identity.kind
    )?;
    for linked in &incident.linked_identities {
        writeln!(
            out,
            "  linked     {} ({})",
            Escaped(&linked.key.to_string()),
            linked.kind
        )?;
    }
    writeln!(
        out,
        "  time       {} to {}",
        time(&incident.first_seen),
        time(&incident.last_seen)
    )?;
    for escalation in &incident.escalations {
        writeln!(out, "  escalation {}", Escaped(escalation))?;
    }

    if let Some(radius) = &incident.blast_radius {
        let mut flags = Vec::new();
        if radius.shared {
            flags.push("shared");
        }
        if radius.break_glass {
            flags.push("break-glass");
        }
        let flags = if flags.is_empty() {
            String::new()
        } else {
            format!(" ({})", flags.join(", "))
        };
        writeln!(out, "  blast radius {}{flags}", radius.tier)?;
        for reason in radius.reasons.iter().chain(&radius.constraint_reasons) {
            writeln!(out, "    {}", Escaped(reason))?;
        }
    }
    writeln!(out, "  findings")?;
    for finding in &incident.findings {
        write_finding(out, finding, options)?;
    }

    writeln!(out, "  containment plan (planned, not executed)")?;
    if incident.plan.actions.is_empty() {
        writeln!(
            out,
            "    no automatic containment fits these identities; review by hand"
        )?;
    }
    for (number, action) in incident.plan.actions.iter().enumerate() {
        writeln!(
            out,
            "    {}. {} [{}] {}",
            number + 1,
            action.action,
            action.provider,
            Escaped(&action.target)
        )?;
        writeln!(out, "       {}", Escaped(&action.description))?;
        for call in &action.api_calls {
            writeln!(out, "       $ {}", Escaped(call))?;
        }
        writeln!(out, "       why: {}", Escaped(&action.reason))?;
    }
    write_response(out, &incident.response)
}

/// Writes the playbook steps and what the response policy decided for each.
fn write_response(out: &mut dyn Write, steps: &[ResponseStep]) -> io::Result<()> {
    if steps.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "  response (decided by the response policy, not executed)"
    )?;
    for (number, step) in steps.iter().enumerate() {
        let decision = match step.decision.as_str() {
            "execute" => "runs automatically",
            "approve" => "waits for approval",
            _ => "recommended only",
        };
        writeln!(
            out,
            "    {}. {} [{}] {}: {decision}",
            number + 1,
            step.action,
            step.system,
            Escaped(&step.target)
        )?;
        let policies = if step.policies.is_empty() {
            "no policy allows it".to_owned()
        } else {
            format!("policy {}", step.policies.join(", "))
        };
        writeln!(
            out,
            "       playbook {} step {}; {policies}",
            step.playbook, step.position
        )?;
        for passed in &step.passed_over {
            writeln!(out, "       also considered {}", Escaped(passed))?;
        }
    }
    Ok(())
}

fn write_finding(out: &mut dyn Write, finding: &Finding, options: TextOptions) -> io::Result<()> {
    writeln!(
        out,
        "    {}  {}  {}  confidence {:.2}  [{}]",
        time(&finding.first_seen),
        finding.detection,
        severity_label(finding.severity, options),
        finding.confidence.value(),
        finding.attack.join(", ")
    )?;
    writeln!(out, "      {}", Escaped(&finding.explanation))?;
    for evidence in finding.evidence.iter().take(EVIDENCE_SHOWN) {
        let place = evidence
            .location
            .as_ref()
            .map(|location| format!(" at {location}"))
            .unwrap_or_default();
        writeln!(
            out,
            "      evidence {} {} {}{}",
            evidence.format,
            Escaped(&evidence.operation),
            Escaped(&evidence.event_id),
            Escaped(&place)
        )?;
    }
    if finding.evidence.len() > EVIDENCE_SHOWN {
        writeln!(
            out,
            "      and {} more evidence events",
            finding.evidence.len() - EVIDENCE_SHOWN
        )?;
    }
    Ok(())
}

fn write_summary(
    out: &mut dyn Write,
    summary: &Summary,
    reject_samples: &[String],
) -> io::Result<()> {
    writeln!(out, "Summary")?;
    writeln!(
        out,
        "  files          {} read, {} unreadable, {} unchanged since the last run",
        summary.files, summary.unreadable_files, summary.unchanged_files
    )?;
    writeln!(out, "  records        {}", summary.records)?;
    for (format, count) in &summary.by_format {
        writeln!(out, "    {format:<22} {count}")?;
    }
    writeln!(out, "  rejected       {}", summary.rejected)?;
    writeln!(out, "  unsupported    {}", summary.unsupported)?;
    for (category, count) in &summary.unsupported_by_category {
        writeln!(out, "    {:<22} {count}", Escaped(category).to_string())?;
    }
    writeln!(out, "  duplicates     {}", summary.duplicates)?;
    if summary.late_events > 0 {
        writeln!(out, "  late events    {}", summary.late_events)?;
    }
    writeln!(out, "  findings       {}", summary.findings)?;
    for (detection, count) in &summary.findings_by_detection {
        writeln!(out, "    {detection:<30} {count}")?;
    }
    writeln!(out, "  incidents      {}", summary.incidents)?;
    writeln!(
        out,
        "  elapsed        {:.3} s ({:.0} events/s)",
        summary.elapsed_secs, summary.events_per_second
    )?;
    // A read error is also a rejected record, and is shown once, among the rejected records
    // when it is one of the samples.
    for error in summary
        .errors
        .iter()
        .filter(|error| !reject_samples.contains(error))
    {
        writeln!(out, "  error: {}", Escaped(error))?;
    }
    if !reject_samples.is_empty() {
        writeln!(out, "Rejected records")?;
        for sample in reject_samples {
            writeln!(out, "  {}", Escaped(sample))?;
        }
        if summary.rejected > reject_samples.len() as u64 {
            writeln!(
                out,
                "  and {} more; --rejects FILE keeps every rejected record with its reason",
                summary.rejected - reject_samples.len() as u64
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaped_hides_control_characters() {
        let forged = "Admin\u{1b}]0;pwned\u{7}\nINC-000000000000  LOW";
        let shown = Escaped(forged).to_string();
        assert_eq!(shown, "Admin\\u{1b}]0;pwned\\u{7}\\nINC-000000000000  LOW");
        assert!(!shown.chars().any(char::is_control));
    }

    #[test]
    fn escaped_hides_bidi_overrides() {
        let forged = "admin\u{202E}fdp.exe\u{2066}x\u{200F}";
        assert_eq!(
            Escaped(forged).to_string(),
            "admin\\u{202e}fdp.exe\\u{2066}x\\u{200f}"
        );
    }

    #[test]
    fn escaped_keeps_other_text() {
        assert_eq!(
            Escaped("São Paulo, Brasil").to_string(),
            "São Paulo, Brasil"
        );
    }
}
