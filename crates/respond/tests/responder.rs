//! The responder against a real state file and the Okta and Graph test servers: execution and
//! verification, idempotency across runs and crashes, approvals and their timeout, the
//! circuit breaker, dry runs, connectors configured late, failures, and the audit chain.

#![expect(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "tests fail loudly on a broken setup or an unexpected result"
)]

mod common;

use common::{
    ALICE, BOB, CAROL, CrashPoint, DAVE, ERIN, FRANK, GRAPH_USER, INCIDENT, at, audit, audit_of,
    clear_sessions, graph_connector, graph_server, key, keys, okta_connector, okta_server, open,
    requests, reset_factors, responder, run_until_crash, state_file, status, step, suspend,
};
use riposte_action::Action;
use riposte_respond::{BreakerSettings, Decision, RespondError, ResponseSettings};
use riposte_store::{ActionStatus, ApprovalStatus, AuditCheck};
use serde_json::json;

const FORBIDDEN: &str = "You do not have permission to perform the requested action";

fn sessions_endpoint(user: &str) -> String {
    format!("/api/v1/users/{user}/sessions?oauthTokens=true")
}

#[tokio::test]
async fn executed_action_is_verified_and_audited() {
    let state = state_file();
    let server = okta_server().await;
    let mut responder = responder(
        &state.path,
        vec![okta_connector(&server)],
        ResponseSettings::default(),
    );
    let action = clear_sessions(ALICE);
    let key = key(&action);

    let recorded = responder
        .record_plans(&[step(action, Decision::Execute)], at(0))
        .unwrap();
    assert_eq!(recorded, 1);
    assert_eq!(status(responder.store(), &key), ActionStatus::Planned);

    let report = responder.run(false, at(5)).await.unwrap();

    assert_eq!(keys(&report.executed), [key.as_str()]);
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    assert!(!report.breaker_tripped);
    let outcome = &report.executed[0];
    assert_eq!(outcome.incident_id, INCIDENT);
    assert_eq!(outcome.action, "okta_clear_sessions");
    assert_eq!(outcome.target, format!("user/{ALICE}"));
    assert_eq!(
        outcome.detail,
        format!(
            "Okta has no API to list sessions; clearing the sessions of `{ALICE}` returned \
             status 204"
        )
    );
    assert_eq!(outcome.calls.len(), 1);
    assert_eq!(outcome.calls[0].call.method, "DELETE");
    assert_eq!(outcome.calls[0].call.endpoint, sessions_endpoint(ALICE));
    assert_eq!(outcome.calls[0].status, Some(204));
    assert_eq!(outcome.calls[0].attempt, 1);

    let stored = responder.store().action(&key).unwrap().unwrap();
    assert_eq!(stored.status, ActionStatus::Verified);
    assert_eq!(stored.decision, "execute");
    assert_eq!(stored.executed_at, Some(at(5)));
    assert_eq!(stored.revert_at, None);
    assert_eq!(stored.error, None);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(stored.execution.as_deref().unwrap()).unwrap(),
        json!({"revert_data": {"status": 204}})
    );

    assert_eq!(
        requests(&server),
        [format!("DELETE {}", sessions_endpoint(ALICE))]
    );
    let user = server.user(ALICE).unwrap();
    assert_eq!((user.sessions, user.oauth_tokens), (0, 0));

    let entries = audit(responder.store());
    let kinds: Vec<&str> = entries.iter().map(|entry| entry.kind.as_str()).collect();
    assert_eq!(kinds, ["decision", "action", "api_call", "action"]);
    assert!(entries.iter().all(|entry| entry.record["action"] == key));
    assert_eq!(entries[0].time, at(0));
    assert_eq!(entries[0].record["decision"], "execute");
    assert_eq!(entries[0].record["kind"], "okta_clear_sessions");
    assert_eq!(entries[0].record["incident"], INCIDENT);
    assert_eq!(entries[0].record["policies"], json!(["test-policy"]));
    assert_eq!(entries[1].time, at(5));
    assert_eq!(entries[1].record["status"], "executing");
    assert_eq!(entries[2].record["method"], "DELETE");
    assert_eq!(entries[2].record["endpoint"], sessions_endpoint(ALICE));
    assert_eq!(entries[2].record["status"], 204);
    assert_eq!(entries[2].record["attempt"], 1);
    assert_eq!(entries[2].record["error"], json!(null));
    assert_eq!(entries[3].record["status"], "verified");
    assert_eq!(entries[3].record["detail"], json!(outcome.detail));

    assert_eq!(
        responder.store().verify_audit().unwrap(),
        AuditCheck::Intact { records: 4 }
    );
}

#[tokio::test]
async fn plans_are_recorded_once_and_executed_once() {
    let state = state_file();
    let server = okta_server().await;
    let steps = [
        step(clear_sessions(ALICE), Decision::Execute),
        step(suspend(BOB), Decision::Execute),
    ];

    let mut first = responder(
        &state.path,
        vec![okta_connector(&server)],
        ResponseSettings::default(),
    );
    assert_eq!(first.record_plans(&steps, at(0)).unwrap(), 2);
    assert_eq!(first.record_plans(&steps, at(1)).unwrap(), 0);
    let report = first.run(false, at(2)).await.unwrap();
    assert_eq!(report.executed.len(), 2);
    let report = first.run(false, at(3)).await.unwrap();
    assert!(report.executed.is_empty(), "{:?}", report.executed);
    drop(first);

    // A second process on the same state file plans and runs nothing again.
    let mut second = responder(
        &state.path,
        vec![okta_connector(&server)],
        ResponseSettings::default(),
    );
    assert_eq!(second.record_plans(&steps, at(10)).unwrap(), 0);
    let report = second.run(false, at(11)).await.unwrap();
    assert!(report.executed.is_empty(), "{:?}", report.executed);
    assert!(report.failed.is_empty(), "{:?}", report.failed);

    // Both steps were recorded at the same time, so the run takes them in key order.
    let mut received = requests(&server);
    received.sort();
    assert_eq!(
        received,
        [
            format!("DELETE {}", sessions_endpoint(ALICE)),
            format!("GET /api/v1/users/{BOB}"),
            format!("POST /api/v1/users/{BOB}/lifecycle/suspend"),
        ]
    );
    let store = second.store();
    let decisions = audit(store)
        .into_iter()
        .filter(|entry| entry.kind == "decision")
        .count();
    assert_eq!(decisions, 2);
    assert_eq!(
        status(store, &key(&clear_sessions(ALICE))),
        ActionStatus::Verified
    );
    assert_eq!(status(store, &key(&suspend(BOB))), ActionStatus::Verified);
    assert!(matches!(
        store.verify_audit().unwrap(),
        AuditCheck::Intact { .. }
    ));
}

#[tokio::test]
async fn interrupted_action_with_effect_is_verified() {
    let state = state_file();
    let server = okta_server().await;
    let action = suspend(ALICE);
    let key = key(&action);
    run_until_crash(
        &state.path,
        okta_connector(&server),
        CrashPoint::AfterCall,
        &[step(action, Decision::Execute)],
        at(0),
    )
    .await;
    let suspend_call = format!("POST /api/v1/users/{ALICE}/lifecycle/suspend");
    assert_eq!(requests(&server), std::slice::from_ref(&suspend_call));
    assert_eq!(server.user(ALICE).unwrap().status, "SUSPENDED");
    assert_eq!(status(&open(&state.path), &key), ActionStatus::Executing);

    let mut restarted = responder(
        &state.path,
        vec![okta_connector(&server)],
        ResponseSettings::default(),
    );
    let report = restarted.run(false, at(60)).await.unwrap();

    assert_eq!(keys(&report.executed), [key.as_str()]);
    assert_eq!(
        report.executed[0].detail,
        format!("Okta user `{ALICE}` has status `SUSPENDED`")
    );
    assert_eq!(
        requests(&server),
        [suspend_call, format!("GET /api/v1/users/{ALICE}")]
    );
    assert_eq!(status(restarted.store(), &key), ActionStatus::Verified);
    let last = audit_of(restarted.store(), &key).pop().unwrap();
    assert_eq!(last.0, "action");
    assert_eq!(last.1["status"], "verified");
    assert_eq!(last.1["after"], "interrupted execution");

    // Later runs leave the verified action alone.
    let report = restarted.run(false, at(120)).await.unwrap();
    assert!(report.executed.is_empty(), "{:?}", report.executed);
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn interrupted_action_without_effect_is_executed_once() {
    let state = state_file();
    let server = okta_server().await;
    let action = suspend(ALICE);
    let key = key(&action);
    run_until_crash(
        &state.path,
        okta_connector(&server),
        CrashPoint::BeforeCall,
        &[step(action, Decision::Execute)],
        at(0),
    )
    .await;
    assert!(server.requests().is_empty(), "{:?}", requests(&server));
    assert_eq!(status(&open(&state.path), &key), ActionStatus::Executing);

    let mut restarted = responder(
        &state.path,
        vec![okta_connector(&server)],
        ResponseSettings::default(),
    );
    let report = restarted.run(false, at(60)).await.unwrap();

    assert_eq!(keys(&report.executed), [key.as_str()]);
    let read = format!("GET /api/v1/users/{ALICE}");
    // The first read finds the user active, so the suspension is sent once and read back.
    assert_eq!(
        requests(&server),
        [
            read.clone(),
            format!("POST /api/v1/users/{ALICE}/lifecycle/suspend"),
            read,
        ]
    );
    assert_eq!(server.user(ALICE).unwrap().status, "SUSPENDED");
    assert_eq!(status(restarted.store(), &key), ActionStatus::Verified);

    let report = restarted.run(false, at(120)).await.unwrap();
    assert!(report.executed.is_empty(), "{:?}", report.executed);
    assert_eq!(server.requests().len(), 3);
}

#[tokio::test]
async fn interrupted_graph_disable_is_verified() {
    let state = state_file();
    let server = graph_server().await;
    let action = Action::GraphDisableUser {
        user_id: GRAPH_USER.to_owned(),
    };
    let key = key(&action);
    run_until_crash(
        &state.path,
        graph_connector(&server),
        CrashPoint::AfterCall,
        &[step(action, Decision::Execute)],
        at(0),
    )
    .await;
    let user_path = format!("/v1.0/users/{GRAPH_USER}");
    let patches = || {
        server
            .requests_to(&user_path)
            .into_iter()
            .filter(|request| request.method == "PATCH")
            .count()
    };
    assert_eq!(patches(), 1);
    assert!(!server.user(GRAPH_USER).unwrap().account_enabled);

    let mut restarted = responder(
        &state.path,
        vec![graph_connector(&server)],
        ResponseSettings::default(),
    );
    let report = restarted.run(false, at(60)).await.unwrap();

    assert_eq!(keys(&report.executed), [key.as_str()]);
    assert_eq!(
        report.executed[0].detail,
        format!("user `{GRAPH_USER}` has `accountEnabled` false")
    );
    assert_eq!(patches(), 1);
    assert_eq!(status(restarted.store(), &key), ActionStatus::Verified);
}

#[tokio::test]
async fn approval_gates_execution() {
    let state = state_file();
    let server = okta_server().await;
    let mut responder = responder(
        &state.path,
        vec![okta_connector(&server)],
        ResponseSettings::default(),
    );
    let approved = suspend(ALICE);
    let denied = reset_factors(BOB);
    responder
        .record_plans(
            &[
                step(approved.clone(), Decision::Approve),
                step(denied.clone(), Decision::Approve),
            ],
            at(0),
        )
        .unwrap();

    let pending = responder
        .store()
        .approvals(Some(ApprovalStatus::Pending))
        .unwrap();
    assert_eq!(pending.len(), 2);
    let approved_id = pending
        .iter()
        .find(|approval| approval.action_key == key(&approved))
        .unwrap()
        .id;
    let denied_id = pending
        .iter()
        .find(|approval| approval.action_key == key(&denied))
        .unwrap()
        .id;
    assert_eq!(pending[0].timeout_at, at(3600));
    assert_eq!(pending[0].escalation, "security-on-call");
    for action in [&approved, &denied] {
        assert_eq!(
            status(responder.store(), &key(action)),
            ActionStatus::PendingApproval
        );
    }

    let report = responder.run(false, at(10)).await.unwrap();
    assert!(report.executed.is_empty(), "{:?}", report.executed);
    assert!(server.requests().is_empty(), "{:?}", requests(&server));

    responder
        .approve(approved_id, "alice.admin", at(20))
        .unwrap();
    responder
        .deny(denied_id, "bob.admin", "false positive", at(20))
        .unwrap();
    assert_eq!(
        status(responder.store(), &key(&approved)),
        ActionStatus::Approved
    );
    assert_eq!(
        status(responder.store(), &key(&denied)),
        ActionStatus::Denied
    );
    let decided = responder.store().approval(denied_id).unwrap().unwrap();
    assert_eq!(decided.status, ApprovalStatus::Denied);
    assert_eq!(decided.decided_by.as_deref(), Some("bob.admin"));
    assert_eq!(decided.reason.as_deref(), Some("false positive"));

    let report = responder.run(false, at(30)).await.unwrap();
    assert_eq!(keys(&report.executed), [key(&approved)]);
    assert_eq!(server.user(ALICE).unwrap().status, "SUSPENDED");
    assert_eq!(server.user(BOB).unwrap().factors.len(), 1);
    assert!(
        server
            .requests_to(&format!("/api/v1/users/{BOB}"))
            .is_empty()
    );
    assert_eq!(
        status(responder.store(), &key(&approved)),
        ActionStatus::Verified
    );
    assert_eq!(
        status(responder.store(), &key(&denied)),
        ActionStatus::Denied
    );

    let error = responder.approve(999, "alice.admin", at(40)).unwrap_err();
    assert!(
        matches!(error, RespondError::UnknownApproval(999)),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "no approval 999: see `riposte approvals list`"
    );
    let error = responder
        .approve(approved_id, "alice.admin", at(40))
        .unwrap_err();
    assert!(
        matches!(error, RespondError::AlreadyDecided { id, status: "approved" } if id == approved_id),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        format!("approval {approved_id} is already approved")
    );
    let error = responder
        .approve(denied_id, "alice.admin", at(40))
        .unwrap_err();
    assert!(
        matches!(error, RespondError::AlreadyDecided { id, status: "denied" } if id == denied_id),
        "{error:?}"
    );
    let error = responder
        .deny(approved_id, "bob.admin", "too late", at(40))
        .unwrap_err();
    assert!(
        matches!(
            error,
            RespondError::AlreadyDecided {
                status: "approved",
                ..
            }
        ),
        "{error:?}"
    );

    // The denied action stays untouched by later runs.
    let report = responder.run(false, at(50)).await.unwrap();
    assert!(report.executed.is_empty(), "{:?}", report.executed);
    assert_eq!(server.user(BOB).unwrap().factors.len(), 1);

    let approvals: Vec<(String, String)> = audit(responder.store())
        .into_iter()
        .filter(|entry| entry.kind == "approval")
        .map(|entry| {
            (
                entry.record["action"].as_str().unwrap().to_owned(),
                entry.record["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        approvals,
        [
            (key(&approved), "pending".to_owned()),
            (key(&denied), "pending".to_owned()),
            (key(&approved), "approved".to_owned()),
            (key(&denied), "denied".to_owned()),
        ]
    );
}

#[tokio::test]
async fn approval_expires_after_the_timeout() {
    let state = state_file();
    let server = okta_server().await;
    let settings = ResponseSettings {
        approval_timeout_secs: 60,
        ..ResponseSettings::default()
    };
    let mut responder = responder(&state.path, vec![okta_connector(&server)], settings);
    let action = suspend(ALICE);
    responder
        .record_plans(&[step(action.clone(), Decision::Approve)], at(0))
        .unwrap();
    let id = responder.store().approvals(None).unwrap()[0].id;
    assert_eq!(
        responder.store().approval(id).unwrap().unwrap().timeout_at,
        at(60)
    );

    let report = responder.run(false, at(59)).await.unwrap();
    assert!(report.expired_approvals.is_empty());
    assert_eq!(
        status(responder.store(), &key(&action)),
        ActionStatus::PendingApproval
    );

    // A dry run reports the expiry and changes nothing.
    let audited = audit(responder.store()).len();
    let report = responder.run(true, at(61)).await.unwrap();
    assert_eq!(report.expired_approvals, [id]);
    assert_eq!(
        status(responder.store(), &key(&action)),
        ActionStatus::PendingApproval
    );
    assert_eq!(audit(responder.store()).len(), audited);

    let report = responder.run(false, at(61)).await.unwrap();
    assert_eq!(report.expired_approvals, [id]);
    assert!(report.executed.is_empty(), "{:?}", report.executed);
    assert_eq!(
        status(responder.store(), &key(&action)),
        ActionStatus::Expired
    );
    let approval = responder.store().approval(id).unwrap().unwrap();
    assert_eq!(approval.status, ApprovalStatus::Expired);
    assert_eq!(approval.decided_by.as_deref(), Some("riposte"));
    let expired = audit_of(responder.store(), &key(&action)).pop().unwrap();
    assert_eq!(expired.0, "approval");
    assert_eq!(expired.1["status"], "expired");
    assert_eq!(expired.1["escalated_to"], "security-on-call");

    let error = responder.approve(id, "alice.admin", at(62)).unwrap_err();
    assert!(
        matches!(
            error,
            RespondError::AlreadyDecided {
                status: "expired",
                ..
            }
        ),
        "{error:?}"
    );
    let report = responder.run(false, at(63)).await.unwrap();
    assert!(report.executed.is_empty(), "{:?}", report.executed);
    assert!(report.expired_approvals.is_empty());
    assert!(server.requests().is_empty(), "{:?}", requests(&server));
    assert_eq!(server.user(ALICE).unwrap().status, "ACTIVE");
}

#[tokio::test]
async fn approving_after_the_timeout_expires_the_approval() {
    let state = state_file();
    let server = okta_server().await;
    let settings = ResponseSettings {
        approval_timeout_secs: 60,
        ..ResponseSettings::default()
    };
    let mut responder = responder(&state.path, vec![okta_connector(&server)], settings);
    let action = suspend(ALICE);
    responder
        .record_plans(&[step(action.clone(), Decision::Approve)], at(0))
        .unwrap();
    let id = responder.store().approvals(None).unwrap()[0].id;

    // No run happened since the timeout: approving finds it passed.
    let error = responder.approve(id, "alice.admin", at(61)).unwrap_err();
    assert!(
        matches!(
            error,
            RespondError::AlreadyDecided {
                status: "expired",
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(
        status(responder.store(), &key(&action)),
        ActionStatus::Expired
    );
    let report = responder.run(false, at(62)).await.unwrap();
    assert!(report.executed.is_empty(), "{:?}", report.executed);
    assert!(server.requests().is_empty(), "{:?}", requests(&server));
}

#[tokio::test]
async fn breaker_holds_automatic_actions_over_the_limit() {
    let state = state_file();
    let server = okta_server().await;
    let settings = ResponseSettings {
        // Long enough that the held actions are still pending after the breaker window.
        approval_timeout_secs: 86_400,
        breaker: BreakerSettings {
            max_automatic: 2,
            max_per_kind: 10,
            window_secs: 3600,
        },
        ..ResponseSettings::default()
    };
    let mut responder = responder(&state.path, vec![okta_connector(&server)], settings);
    let users = [ALICE, BOB, CAROL, DAVE, ERIN];
    // Recorded one second apart, so that the run takes them in this order.
    for (offset, user) in (0..).zip(users) {
        responder
            .record_plans(&[step(clear_sessions(user), Decision::Execute)], at(offset))
            .unwrap();
    }
    let all: Vec<String> = users
        .iter()
        .map(|user| key(&clear_sessions(user)))
        .collect();

    let report = responder.run(false, at(10)).await.unwrap();

    assert!(report.breaker_tripped);
    assert_eq!(keys(&report.executed), all[..2]);
    assert_eq!(report.held_by_breaker, all[2..]);
    let deleted: Vec<String> = server
        .requests()
        .iter()
        .map(|request| request.path.clone())
        .collect();
    assert_eq!(
        deleted,
        [
            format!("/api/v1/users/{ALICE}/sessions"),
            format!("/api/v1/users/{BOB}/sessions"),
        ]
    );
    for held_key in &all[2..] {
        let record = responder.store().action(held_key).unwrap().unwrap();
        assert_eq!(record.status, ActionStatus::PendingApproval);
        assert_eq!(record.decision, "approve");
        assert_eq!(
            record.error.as_deref(),
            Some("2 automatic actions in the last 3600 s reached the limit of 2")
        );
        // The audit log keeps what the policy decided.
        let decided = audit_of(responder.store(), held_key).remove(0);
        assert_eq!(decided.0, "decision");
        assert_eq!(decided.1["decision"], "execute");
    }
    let pending = responder
        .store()
        .approvals(Some(ApprovalStatus::Pending))
        .unwrap();
    let pending_keys: Vec<&str> = pending
        .iter()
        .map(|approval| approval.action_key.as_str())
        .collect();
    assert_eq!(pending_keys, all[2..]);
    let trips: Vec<serde_json::Value> = audit(responder.store())
        .into_iter()
        .filter(|entry| entry.kind == "circuit_breaker")
        .map(|entry| entry.record)
        .collect();
    assert_eq!(trips.len(), 3);
    assert_eq!(trips[0]["action"], all[2].as_str());
    assert_eq!(trips[0]["tripped"], true);
    assert_eq!(
        trips[0]["reason"],
        "2 automatic actions in the last 3600 s reached the limit of 2"
    );

    // Within the window, a new automatic action is held as well.
    responder
        .record_plans(&[step(clear_sessions(FRANK), Decision::Execute)], at(20))
        .unwrap();
    let report = responder.run(false, at(30)).await.unwrap();
    assert!(report.executed.is_empty(), "{:?}", report.executed);
    assert_eq!(report.held_by_breaker, [key(&clear_sessions(FRANK))]);
    assert_eq!(server.requests().len(), 2);

    // Once the window has passed, automatic actions run again.
    responder
        .record_plans(&[step(suspend(ALICE), Decision::Execute)], at(3605))
        .unwrap();
    let report = responder.run(false, at(3611)).await.unwrap();
    assert!(!report.breaker_tripped);
    assert_eq!(keys(&report.executed), [key(&suspend(ALICE))]);
    assert_eq!(server.user(ALICE).unwrap().status, "SUSPENDED");
    // The held actions still wait for a person.
    assert_eq!(
        status(responder.store(), &all[2]),
        ActionStatus::PendingApproval
    );

    // An approved held action is executed without another check.
    responder
        .approve(pending[0].id, "alice.admin", at(3620))
        .unwrap();
    let report = responder.run(false, at(3630)).await.unwrap();
    assert_eq!(keys(&report.executed), [all[2].clone()]);
    assert_eq!(server.user(CAROL).unwrap().sessions, 0);
    assert_eq!(server.user(DAVE).unwrap().sessions, 2);

    // The approved action does not count as automatic: one automatic action in the window
    // leaves room for one more.
    responder
        .record_plans(&[step(suspend(BOB), Decision::Execute)], at(3640))
        .unwrap();
    let report = responder.run(false, at(3650)).await.unwrap();
    assert!(!report.breaker_tripped, "{:?}", report.held_by_breaker);
    assert_eq!(keys(&report.executed), [key(&suspend(BOB))]);
}

#[tokio::test]
async fn breaker_limits_each_action_kind() {
    let state = state_file();
    let server = okta_server().await;
    let settings = ResponseSettings {
        breaker: BreakerSettings {
            max_automatic: 10,
            max_per_kind: 1,
            window_secs: 3600,
        },
        ..ResponseSettings::default()
    };
    let mut responder = responder(&state.path, vec![okta_connector(&server)], settings);
    let steps = [
        step(clear_sessions(ALICE), Decision::Execute),
        step(clear_sessions(BOB), Decision::Execute),
        step(suspend(CAROL), Decision::Execute),
        step(suspend(DAVE), Decision::Execute),
    ];
    for (offset, step) in (0..).zip(&steps) {
        responder
            .record_plans(std::slice::from_ref(step), at(offset))
            .unwrap();
    }

    let report = responder.run(false, at(10)).await.unwrap();

    assert!(report.breaker_tripped);
    assert_eq!(
        keys(&report.executed),
        [key(&clear_sessions(ALICE)), key(&suspend(CAROL))]
    );
    assert_eq!(
        report.held_by_breaker,
        [key(&clear_sessions(BOB)), key(&suspend(DAVE))]
    );
    let held_record = responder
        .store()
        .action(&key(&clear_sessions(BOB)))
        .unwrap()
        .unwrap();
    assert_eq!(held_record.status, ActionStatus::PendingApproval);
    assert_eq!(
        held_record.error.as_deref(),
        Some("1 automatic `okta_clear_sessions` actions in the last 3600 s reached the limit of 1")
    );
    assert_eq!(server.user(BOB).unwrap().sessions, 2);
    assert_eq!(server.user(DAVE).unwrap().status, "ACTIVE");
    let trips = audit(responder.store())
        .into_iter()
        .filter(|entry| entry.kind == "circuit_breaker")
        .count();
    assert_eq!(trips, 2);

    // After the window, one more action of each kind runs.
    responder
        .record_plans(
            &[
                step(clear_sessions(ERIN), Decision::Execute),
                step(suspend(FRANK), Decision::Execute),
            ],
            at(3700),
        )
        .unwrap();
    let report = responder.run(false, at(3700)).await.unwrap();
    assert!(!report.breaker_tripped);
    assert_eq!(report.executed.len(), 2);
    assert_eq!(server.user(ERIN).unwrap().sessions, 0);
    assert_eq!(server.user(FRANK).unwrap().status, "SUSPENDED");
}

#[tokio::test]
async fn dry_run_lists_calls_and_executes_nothing() {
    let state = state_file();
    let server = okta_server().await;
    let mut responder = responder(
        &state.path,
        vec![okta_connector(&server)],
        ResponseSettings::default(),
    );
    responder
        .record_plans(&[step(clear_sessions(ALICE), Decision::Execute)], at(0))
        .unwrap();
    responder
        .record_plans(&[step(suspend(BOB), Decision::Execute)], at(1))
        .unwrap();
    let audited = audit(responder.store()).len();

    let report = responder.run(true, at(10)).await.unwrap();

    assert!(report.executed.is_empty(), "{:?}", report.executed);
    assert_eq!(
        keys(&report.would_execute),
        [key(&clear_sessions(ALICE)), key(&suspend(BOB))]
    );
    assert_eq!(
        report.would_execute[0].detail,
        format!(
            "DELETE {}: end every Okta session of user `{ALICE}` and revoke the OAuth tokens \
             issued to them",
            sessions_endpoint(ALICE)
        )
    );
    assert_eq!(
        report.would_execute[1].detail,
        format!("POST /api/v1/users/{BOB}/lifecycle/suspend: suspend Okta user `{BOB}`")
    );
    assert!(server.requests().is_empty(), "{:?}", requests(&server));
    assert_eq!(
        status(responder.store(), &key(&clear_sessions(ALICE))),
        ActionStatus::Planned
    );
    assert_eq!(audit(responder.store()).len(), audited);

    let report = responder.run(false, at(20)).await.unwrap();
    assert!(report.would_execute.is_empty());
    assert_eq!(
        keys(&report.executed),
        [key(&clear_sessions(ALICE)), key(&suspend(BOB))]
    );
    assert_eq!(server.user(ALICE).unwrap().sessions, 0);
    assert_eq!(server.user(BOB).unwrap().status, "SUSPENDED");
}

#[tokio::test]
async fn action_without_connector_waits_until_one_is_configured() {
    let state = state_file();
    let okta = okta_server().await;
    let graph = graph_server().await;
    let disable = Action::GraphDisableUser {
        user_id: GRAPH_USER.to_owned(),
    };
    let mut okta_only = responder(
        &state.path,
        vec![okta_connector(&okta)],
        ResponseSettings::default(),
    );
    okta_only
        .record_plans(
            &[
                step(clear_sessions(ALICE), Decision::Execute),
                step(disable.clone(), Decision::Execute),
            ],
            at(0),
        )
        .unwrap();

    let report = okta_only.run(false, at(10)).await.unwrap();

    assert_eq!(keys(&report.executed), [key(&clear_sessions(ALICE))]);
    assert_eq!(keys(&report.unconfigured), [key(&disable)]);
    assert_eq!(
        report.unconfigured[0].detail,
        "no entra connector is configured"
    );
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    assert_eq!(
        status(okta_only.store(), &key(&disable)),
        ActionStatus::Planned
    );
    assert!(graph.requests().is_empty());
    assert!(graph.user(GRAPH_USER).unwrap().account_enabled);
    drop(okta_only);

    let mut both = responder(
        &state.path,
        vec![okta_connector(&okta), graph_connector(&graph)],
        ResponseSettings::default(),
    );
    let report = both.run(false, at(20)).await.unwrap();
    assert!(report.unconfigured.is_empty());
    assert_eq!(keys(&report.executed), [key(&disable)]);
    assert!(!graph.user(GRAPH_USER).unwrap().account_enabled);
    assert_eq!(status(both.store(), &key(&disable)), ActionStatus::Verified);
    assert_eq!(okta.requests().len(), 1);
}

#[tokio::test]
async fn rejected_action_is_recorded_as_failed() {
    let state = state_file();
    let server = okta_server().await;
    let mut responder = responder(
        &state.path,
        vec![okta_connector(&server)],
        ResponseSettings::default(),
    );
    let action = suspend(ALICE);
    let key = key(&action);
    responder
        .record_plans(&[step(action, Decision::Execute)], at(0))
        .unwrap();
    server.fail_next(1, 403, FORBIDDEN);

    let report = responder.run(false, at(10)).await.unwrap();

    assert!(report.executed.is_empty(), "{:?}", report.executed);
    assert_eq!(keys(&report.failed), [key.as_str()]);
    let expected = format!(
        "okta rejected `/api/v1/users/{ALICE}/lifecycle/suspend` with status 403: {FORBIDDEN}"
    );
    assert_eq!(report.failed[0].detail, expected);
    assert_eq!(report.failed[0].calls.len(), 1);
    assert_eq!(report.failed[0].calls[0].status, Some(403));
    let stored = responder.store().action(&key).unwrap().unwrap();
    assert_eq!(stored.status, ActionStatus::Failed);
    assert_eq!(stored.error.as_deref(), Some(expected.as_str()));
    assert_eq!(server.user(ALICE).unwrap().status, "ACTIVE");

    let entries = audit_of(responder.store(), &key);
    let kinds: Vec<&str> = entries.iter().map(|(kind, _)| kind.as_str()).collect();
    assert_eq!(kinds, ["decision", "action", "api_call", "action"]);
    assert_eq!(entries[2].1["status"], 403);
    assert_eq!(entries[2].1["error"], FORBIDDEN);
    assert_eq!(entries[3].1["status"], "failed");
    assert_eq!(entries[3].1["error"], expected.as_str());

    // A failed action is not retried by the next run.
    let report = responder.run(false, at(20)).await.unwrap();
    assert!(report.executed.is_empty(), "{:?}", report.executed);
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn rate_limited_call_is_retried() {
    let state = state_file();
    let server = okta_server().await;
    let mut responder = responder(
        &state.path,
        vec![okta_connector(&server)],
        ResponseSettings::default(),
    );
    let action = clear_sessions(ALICE);
    let key = key(&action);
    responder
        .record_plans(&[step(action, Decision::Execute)], at(0))
        .unwrap();
    // The reset time is the server's current second, so the retries do not wait for it.
    server.rate_limit_next(2, 0);

    let report = responder.run(false, at(10)).await.unwrap();

    assert_eq!(keys(&report.executed), [key.as_str()]);
    let attempts: Vec<(Option<u16>, u32)> = report.executed[0]
        .calls
        .iter()
        .map(|call| (call.status, call.attempt))
        .collect();
    assert_eq!(attempts, [(Some(429), 1), (Some(429), 2), (Some(204), 3)]);
    assert_eq!(status(responder.store(), &key), ActionStatus::Verified);
    assert_eq!(server.user(ALICE).unwrap().sessions, 0);
    let audited: Vec<(serde_json::Value, serde_json::Value)> = audit_of(responder.store(), &key)
        .into_iter()
        .filter(|(kind, _)| kind == "api_call")
        .map(|(_, record)| (record["status"].clone(), record["attempt"].clone()))
        .collect();
    assert_eq!(
        audited,
        [
            (json!(429), json!(1)),
            (json!(429), json!(2)),
            (json!(204), json!(3)),
        ]
    );
}

/// Executes two actions and closes the state file, for the tamper tests.
async fn audited_state() -> common::StateFile {
    let state = state_file();
    let server = okta_server().await;
    let mut responder = responder(
        &state.path,
        vec![okta_connector(&server)],
        ResponseSettings::default(),
    );
    responder
        .record_plans(
            &[
                step(clear_sessions(ALICE), Decision::Execute),
                step(clear_sessions(BOB), Decision::Execute),
            ],
            at(0),
        )
        .unwrap();
    let report = responder.run(false, at(10)).await.unwrap();
    assert_eq!(report.executed.len(), 2);
    assert_eq!(
        responder.store().verify_audit().unwrap(),
        AuditCheck::Intact { records: 8 }
    );
    responder.into_store().close().unwrap();
    state
}

#[tokio::test]
async fn edited_audit_record_breaks_the_chain() {
    let state = audited_state().await;
    let edited_seq: i64 = {
        let raw = rusqlite::Connection::open(&state.path).unwrap();
        let seq = raw
            .query_row(
                "SELECT seq FROM audit WHERE kind = 'api_call' ORDER BY seq LIMIT 1",
                [],
                |row| row.get(0),
            )
            .unwrap();
        // Hides that the call was made: its status becomes a failure.
        let changed = raw
            .execute(
                "UPDATE audit SET record = replace(record, '\"status\":204', '\"status\":500') \
                 WHERE seq = ?1",
                [seq],
            )
            .unwrap();
        assert_eq!(changed, 1);
        seq
    };

    let store = open(&state.path);
    let edited = audit(&store)
        .into_iter()
        .find(|entry| entry.seq == edited_seq)
        .unwrap();
    assert_eq!(edited.record["status"], 500);
    assert_eq!(
        store.verify_audit().unwrap(),
        AuditCheck::Broken {
            seq: edited_seq,
            reason: "the record's content does not match its hash".to_owned(),
        }
    );
}

#[tokio::test]
async fn deleted_audit_record_breaks_the_chain() {
    let state = audited_state().await;
    {
        let raw = rusqlite::Connection::open(&state.path).unwrap();
        let deleted = raw.execute("DELETE FROM audit WHERE seq = 3", []).unwrap();
        assert_eq!(deleted, 1);
    }

    let store = open(&state.path);
    assert_eq!(
        store.verify_audit().unwrap(),
        AuditCheck::Broken {
            seq: 4,
            reason: "record 3 is missing".to_owned(),
        }
    );
}

#[tokio::test]
async fn renumbered_audit_log_breaks_the_chain() {
    // Deleting a record and renumbering the ones after it leaves no gap in `seq`, but each
    // record's hash covers the hash of the record before it.
    let state = audited_state().await;
    {
        let raw = rusqlite::Connection::open(&state.path).unwrap();
        raw.execute_batch(
            "DELETE FROM audit WHERE seq = 3;
             UPDATE audit SET seq = seq - 1 WHERE seq > 3;",
        )
        .unwrap();
    }

    let store = open(&state.path);
    assert_eq!(
        store.verify_audit().unwrap(),
        AuditCheck::Broken {
            seq: 3,
            reason: "the previous record was changed or removed".to_owned(),
        }
    );
}

/// Records three automatic Okta steps (clearing the sessions of Alice, Bob and Carol), closes
/// the store, lets `edit` change the file with SQL, and runs the responder on it.
async fn run_after_edit(
    edit: impl FnOnce(&rusqlite::Connection),
) -> (
    riposte_respond::ResponseReport,
    riposte_testservers::OktaServer,
    common::StateFile,
) {
    let state = state_file();
    let server = okta_server().await;
    let mut recorder = responder(
        &state.path,
        vec![okta_connector(&server)],
        ResponseSettings::default(),
    );
    recorder
        .record_plans(
            &[
                step(clear_sessions(ALICE), Decision::Execute),
                step(clear_sessions(BOB), Decision::Approve),
                step(clear_sessions(CAROL), Decision::Execute),
            ],
            at(0),
        )
        .unwrap();
    recorder.into_store().close().unwrap();
    edit(&rusqlite::Connection::open(&state.path).unwrap());
    let mut responder = responder(
        &state.path,
        vec![okta_connector(&server)],
        ResponseSettings::default(),
    );
    let report = responder.run(false, at(5)).await.unwrap();
    responder.into_store().close().unwrap();
    (report, server, state)
}

#[tokio::test]
async fn unreadable_request_fails_alone() {
    let (report, server, state) = run_after_edit(|raw| {
        let key = key(&clear_sessions(ALICE));
        raw.execute(
            "UPDATE actions SET request = '{\"x\": 1}' WHERE idempotency_key = ?1",
            [&key],
        )
        .unwrap();
    })
    .await;
    assert_eq!(keys(&report.failed), [key(&clear_sessions(ALICE)).as_str()]);
    assert!(
        report.failed[0].detail.contains("cannot be read back"),
        "{:?}",
        report.failed
    );
    assert_eq!(
        keys(&report.executed),
        [key(&clear_sessions(CAROL)).as_str()]
    );
    assert_eq!(
        requests(&server),
        [format!("DELETE {}", sessions_endpoint(CAROL))],
        "only Carol's sessions are cleared"
    );
    let store = open(&state.path);
    assert_eq!(
        status(&store, &key(&clear_sessions(ALICE))),
        ActionStatus::Failed
    );
}

#[tokio::test]
async fn request_edited_to_another_target_is_not_executed() {
    let (report, server, _state) = run_after_edit(|raw| {
        let key = key(&clear_sessions(CAROL));
        let request = serde_json::to_string(&common::request(clear_sessions(DAVE))).unwrap();
        raw.execute(
            "UPDATE actions SET request = ?1 WHERE idempotency_key = ?2",
            [&request, &key],
        )
        .unwrap();
    })
    .await;
    assert_eq!(keys(&report.failed), [key(&clear_sessions(CAROL)).as_str()]);
    assert!(
        report.failed[0]
            .detail
            .contains("does not match its request"),
        "{:?}",
        report.failed
    );
    assert_eq!(
        requests(&server),
        [format!("DELETE {}", sessions_endpoint(ALICE))]
    );
}

#[tokio::test]
async fn status_edited_to_approved_is_not_executed() {
    let (report, server, _state) = run_after_edit(|raw| {
        let key = key(&clear_sessions(BOB));
        raw.execute(
            "UPDATE actions SET status = 'approved' WHERE idempotency_key = ?1",
            [&key],
        )
        .unwrap();
    })
    .await;
    assert_eq!(keys(&report.failed), [key(&clear_sessions(BOB)).as_str()]);
    assert!(
        report.failed[0]
            .detail
            .contains("without a decision or approval that allows it"),
        "{:?}",
        report.failed
    );
    assert_eq!(
        requests(&server),
        [
            format!("DELETE {}", sessions_endpoint(ALICE)),
            format!("DELETE {}", sessions_endpoint(CAROL))
        ]
    );
}

#[tokio::test]
async fn unwritable_audit_log_stops_before_any_call() {
    let state = state_file();
    let server = okta_server().await;
    let mut recorder = responder(
        &state.path,
        vec![okta_connector(&server)],
        ResponseSettings::default(),
    );
    recorder
        .record_plans(&[step(clear_sessions(ALICE), Decision::Execute)], at(0))
        .unwrap();
    recorder.into_store().close().unwrap();
    rusqlite::Connection::open(&state.path)
        .unwrap()
        .execute_batch(
            "CREATE TRIGGER block_audit BEFORE INSERT ON audit \
             BEGIN SELECT RAISE(ABORT, 'audit blocked'); END;",
        )
        .unwrap();

    let mut blocked = responder(
        &state.path,
        vec![okta_connector(&server)],
        ResponseSettings::default(),
    );
    let error = blocked.run(false, at(5)).await.unwrap_err();
    assert!(error.to_string().contains("audit blocked"), "{error}");
    assert!(requests(&server).is_empty(), "{:?}", requests(&server));
    assert_eq!(
        status(blocked.store(), &key(&clear_sessions(ALICE))),
        ActionStatus::Executing,
        "the claim was taken before the audit record failed, so the next run verifies first"
    );
}
