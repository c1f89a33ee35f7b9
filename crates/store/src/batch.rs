use crate::records::{
    Baseline, Checkpoint, FindingRecord, IdentityUpsert, IncidentRecord, Link, PrivilegeSeen,
    RunCounts,
};

/// Everything one commit writes, filled in memory by the engine.
///
/// [`Store::commit`](crate::Store::commit) writes identities first, so that the other rows
/// of the same batch may refer to identities that the batch creates.
#[derive(Clone, Debug, Default)]
pub struct Batch {
    pub(crate) identities: Vec<IdentityUpsert>,
    pub(crate) links: Vec<Link>,
    pub(crate) baselines: Vec<Baseline>,
    pub(crate) privileges: Vec<PrivilegeSeen>,
    pub(crate) findings: Vec<FindingRecord>,
    pub(crate) incidents: Vec<IncidentRecord>,
    pub(crate) checkpoints: Vec<Checkpoint>,
    pub(crate) run_progress: Option<(i64, RunCounts)>,
}

impl Batch {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds what the batch learned about an identity. Two upserts of one identity in one
    /// batch are both merged, in order.
    pub fn upsert_identity(&mut self, identity: IdentityUpsert) {
        self.identities.push(identity);
    }

    /// Adds a link and returns true, or returns false for a link of an identity to itself,
    /// which carries no information and is not stored.
    pub fn add_link(&mut self, link: Link) -> bool {
        if link.a == link.b {
            return false;
        }
        self.links.push(link);
        true
    }

    /// Sets the baseline of an identity, replacing the stored one.
    pub fn put_baseline(&mut self, baseline: Baseline) {
        self.baselines.push(baseline);
    }

    pub fn add_privilege(&mut self, privilege: PrivilegeSeen) {
        self.privileges.push(privilege);
    }

    /// Adds a finding, or replaces the stored one with the same id.
    pub fn put_finding(&mut self, finding: FindingRecord) {
        self.findings.push(finding);
    }

    /// Adds an incident, or replaces the stored one with the same id.
    pub fn put_incident(&mut self, incident: IncidentRecord) {
        self.incidents.push(incident);
    }

    /// Sets the checkpoint of an input file, replacing the stored one. Put the checkpoint in
    /// the batch that contains what its records taught, so that both land together.
    pub fn put_checkpoint(&mut self, checkpoint: Checkpoint) {
        self.checkpoints.push(checkpoint);
    }

    /// Sets the counters of a run started with [`Store::begin_run`](crate::Store::begin_run),
    /// so that they land with the data they count. A later call replaces an earlier one.
    pub fn set_run_progress(&mut self, run_id: i64, counts: RunCounts) {
        self.run_progress = Some((run_id, counts));
    }

    /// Returns the number of rows the batch writes.
    pub fn len(&self) -> usize {
        self.identities.len()
            + self.links.len()
            + self.baselines.len()
            + self.privileges.len()
            + self.findings.len()
            + self.incidents.len()
            + self.checkpoints.len()
            + usize::from(self.run_progress.is_some())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Empties the batch and keeps its allocations for the next one.
    pub fn clear(&mut self) {
        self.identities.clear();
        self.links.clear();
        self.baselines.clear();
        self.privileges.clear();
        self.findings.clear();
        self.incidents.clear();
        self.checkpoints.clear();
        self.run_progress = None;
    }
}
