//! Time of one policy decision with the default policy.

use std::collections::BTreeSet;
use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use riposte_model::{IdentityKind, Provider, Severity};
use riposte_policy::{IdentityAttributes, IncidentContext, PolicyEngine, Tier};

fn identity(kind: IdentityKind, tier: Tier) -> IdentityAttributes {
    IdentityAttributes {
        id: "okta:00u1example".to_owned(),
        kind,
        provider: Provider::Okta,
        tier,
        environment: "production".to_owned(),
        break_glass: false,
        shared: false,
        tags: BTreeSet::from(["payments".to_owned()]),
    }
}

fn decide(c: &mut Criterion) {
    let Ok(engine) = PolicyEngine::default_policy() else {
        return;
    };
    let context = IncidentContext {
        detections: BTreeSet::from(["session_replay".to_owned(), "impossible_travel".to_owned()]),
        confidence: 92,
        severity: Severity::High,
    };
    let human = identity(IdentityKind::Human, Tier::Medium);
    let service = identity(IdentityKind::EntraServicePrincipal, Tier::High);

    // Allowed by the first question: one Cedar evaluation.
    c.bench_function("decide_execute", |b| {
        b.iter(|| {
            engine.decide(
                black_box("okta_clear_sessions"),
                black_box(&human),
                &context,
            )
        })
    });
    // Ruled out automatically, allowed after approval: two Cedar evaluations.
    c.bench_function("decide_require_approval", |b| {
        b.iter(|| {
            engine.decide(
                black_box("graph_disable_service_principal"),
                black_box(&service),
                &context,
            )
        })
    });
    c.bench_function("load_default_policy", |b| {
        b.iter(PolicyEngine::default_policy)
    });
}

criterion_group!(benches, decide);
criterion_main!(benches);
