//! Built-in behavioural detections that turn normalized events into findings.
//!
//! Every detection is a [`Detector`]: it observes events in event-time order and emits
//! [`Finding`]s. Detectors keep per-identity state bounded by event-time windows and never read
//! the wall clock, so the same events always give the same findings.
//!
//! Each detection lives in its own module under [`detections`], documented with fixed headings:
//! what it detects, why it matters, thresholds and their source, ATT&CK ids, known false
//! positives.

pub mod detections;
mod format;
mod geo;
#[cfg(any(test, feature = "testing"))]
pub mod testing;

use riposte_baseline::{Baseline, BaselineSettings};
use riposte_model::{Event, Finding};
use serde::Deserialize;

pub use detections::DetectionSettings;
pub use format::{format_duration, format_number};
pub use geo::distance_km;

/// What a detection may know about the event's actor besides the event.
pub struct Context<'a> {
    /// The actor's behavioural baseline as it was before this event, when one is kept.
    pub baseline: Option<&'a Baseline>,
    pub baseline_settings: &'a BaselineSettings,
}

/// Settings used by [`Context::default`].
static DEFAULT_BASELINE_SETTINGS: std::sync::LazyLock<BaselineSettings> =
    std::sync::LazyLock::new(BaselineSettings::default);

impl Default for Context<'_> {
    /// A context without a baseline, as for an actor seen for the first time.
    fn default() -> Self {
        Self {
            baseline: None,
            baseline_settings: &DEFAULT_BASELINE_SETTINGS,
        }
    }
}

/// A detection: observes events and emits findings.
///
/// Events arrive in event-time order, except for events that arrived later than the reorder
/// buffer allows; a detector must not panic or emit nonsense when an event is older than the
/// previous one, and must keep its state bounded.
pub trait Detector: Send {
    /// The stable id of the detection, as written in the `detection` field of its findings.
    fn id(&self) -> &'static str;

    /// Observes one event and appends any findings it completes.
    fn observe(&mut self, event: &Event, context: &Context<'_>, findings: &mut Vec<Finding>);

    /// Called once when the input ends, for detections that wait for a window to close.
    fn finish(&mut self, _findings: &mut Vec<Finding>) {}
}

/// Common switch for every detection's settings table.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Enabled(pub bool);

impl Default for Enabled {
    fn default() -> Self {
        Self(true)
    }
}

/// All enabled detectors, run in a fixed order.
pub struct Detectors {
    detectors: Vec<Box<dyn Detector>>,
}

impl Detectors {
    /// Builds every enabled built-in detection from its settings.
    pub fn new(settings: &DetectionSettings) -> Self {
        Self {
            detectors: detections::build(settings),
        }
    }

    /// The ids of the enabled detections, in run order.
    pub fn ids(&self) -> Vec<&'static str> {
        self.detectors
            .iter()
            .map(|detector| detector.id())
            .collect()
    }

    pub fn observe(&mut self, event: &Event, context: &Context<'_>, findings: &mut Vec<Finding>) {
        for detector in &mut self.detectors {
            detector.observe(event, context, findings);
        }
    }

    pub fn finish(&mut self, findings: &mut Vec<Finding>) {
        for detector in &mut self.detectors {
            detector.finish(findings);
        }
    }
}
