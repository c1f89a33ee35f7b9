-- Containment state: actions with their idempotency keys, approvals, and the audit log.
--
-- Times are INTEGER milliseconds since 1970-01-01T00:00:00Z, from the wall clock: they record
-- when riposte acted, not when the logged events happened.

-- One row per containment action, keyed by its idempotency key (incident, action, target), so
-- that the same action is never executed twice. The status moves forward only:
-- planned (to execute automatically) | pending_approval -> approved | denied | expired;
-- planned | approved -> executing -> executed -> verified | failed -> reverted;
-- recommended stays.
CREATE TABLE actions (
    idempotency_key TEXT PRIMARY KEY,
    incident_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    system TEXT NOT NULL,
    target TEXT NOT NULL,
    -- The request as JSON, to execute it later after an approval.
    request TEXT NOT NULL CHECK (json_valid(request)),
    -- execute, approve or recommend, as the policy decided.
    decision TEXT NOT NULL CHECK (decision IN ('execute', 'approve', 'recommend')),
    -- The policies that decided, as a JSON array.
    policies TEXT NOT NULL CHECK (json_valid(policies)),
    status TEXT NOT NULL CHECK (status IN (
        'planned', 'recommended', 'pending_approval', 'denied', 'expired', 'approved', 'executing',
        'executed', 'verified', 'failed', 'reverted'
    )),
    -- What the connector left for verifying and reverting, as JSON.
    execution TEXT CHECK (execution IS NULL OR json_valid(execution)),
    -- For time-limited actions, when they must be reverted.
    revert_at INTEGER,
    -- When execution started; the circuit breaker counts automatic actions by this time.
    executed_at INTEGER,
    error TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;

-- `respond` and `approvals list` look actions up by status.
CREATE INDEX actions_by_status ON actions (status, created_at);

-- The circuit breaker counts recent automatic executions.
CREATE INDEX actions_by_execution ON actions (executed_at) WHERE executed_at IS NOT NULL;

-- A request for a person to approve an action.
CREATE TABLE approvals (
    id INTEGER PRIMARY KEY,
    action_key TEXT NOT NULL REFERENCES actions (idempotency_key),
    requested_at INTEGER NOT NULL,
    -- After this time an undecided approval expires and the action is not taken.
    timeout_at INTEGER NOT NULL,
    -- Who is told when the approval times out.
    escalation TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'denied', 'expired')),
    decided_by TEXT,
    decided_at INTEGER,
    reason TEXT
) STRICT;

CREATE INDEX approvals_by_status ON approvals (status, timeout_at);

-- The append-only audit log. Each row's hash covers its content and the previous row's hash,
-- so that editing or deleting any row breaks the chain from there on.
CREATE TABLE audit (
    seq INTEGER PRIMARY KEY,
    time INTEGER NOT NULL,
    -- decision, approval, api_call, action, circuit_breaker
    kind TEXT NOT NULL,
    record TEXT NOT NULL CHECK (json_valid(record)),
    previous_hash TEXT NOT NULL,
    hash TEXT NOT NULL
) STRICT;

-- A log renamed by rotation, or compressed, is found again by the hash of its first bytes.
CREATE INDEX checkpoints_by_head ON checkpoints (head_sha256, head_len);
