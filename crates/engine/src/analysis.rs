//! The detection stage: every ordered event meets the detectors together with its actor's
//! baseline as it was before the event, then teaches the baseline.

use std::collections::HashMap;
use std::convert::Infallible;

use riposte_baseline::{BaselineCache, BaselineSettings};
use riposte_detect::{Context, DetectionSettings, Detectors};
use riposte_model::{Event, Finding, IdentityKey, IdentityKind};

/// Evicted baselines kept for a store before they are dropped, when no store is attached.
const MAX_PENDING_EVICTIONS: usize = 10_000;

pub(crate) struct Analysis {
    detectors: Detectors,
    baselines: BaselineCache,
    baseline_settings: BaselineSettings,
    /// Compact ids of the identities seen, used as baseline keys.
    identity_ids: HashMap<IdentityKey, u64>,
    findings: Vec<Finding>,
}

impl Analysis {
    pub(crate) fn new(
        detections: &DetectionSettings,
        baseline_settings: &BaselineSettings,
    ) -> Self {
        Self {
            detectors: Detectors::new(detections),
            baselines: BaselineCache::with_settings(baseline_settings),
            baseline_settings: baseline_settings.clone(),
            identity_ids: HashMap::new(),
            findings: Vec::new(),
        }
    }

    /// Runs the detectors on one event, then lets the actor's baseline learn from it.
    pub(crate) fn observe(&mut self, event: &Event) {
        let Self {
            detectors,
            baselines,
            baseline_settings,
            identity_ids,
            findings,
        } = self;
        if !has_baseline(event.actor.kind) {
            let context = Context {
                baseline: None,
                baseline_settings,
            };
            detectors.observe(event, &context, findings);
            return;
        }
        let next_id = identity_ids.len() as u64 + 1;
        let id = *identity_ids
            .entry(event.actor.key.clone())
            .or_insert(next_id);
        let loaded = baselines.get_or_load(id, |_| Ok::<_, Infallible>(None));
        let Ok(mut cached) = loaded;
        let context = Context {
            baseline: Some(cached.baseline()),
            baseline_settings,
        };
        detectors.observe(event, &context, findings);
        cached.update(event, baseline_settings);

        if baselines.pending_evictions() > MAX_PENDING_EVICTIONS {
            // NOTE: without a state store, a baseline evicted from the cache is forgotten.
            baselines.drain_dirty();
        }
    }

    /// Ends the input: detectors that wait for a window to close report, and the findings are
    /// returned.
    pub(crate) fn finish(mut self) -> Vec<Finding> {
        self.detectors.finish(&mut self.findings);
        self.findings
    }
}

/// Returns false for principals without behaviour of their own to learn: AWS services, the
/// providers' system principals, network sources and unknown actors.
fn has_baseline(kind: IdentityKind) -> bool {
    !matches!(
        kind,
        IdentityKind::AwsService
            | IdentityKind::ProviderSystem
            | IdentityKind::NetworkSource
            | IdentityKind::Unknown
    )
}
