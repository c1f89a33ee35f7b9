-- The first schema of the riposte state file.
--
-- Times are INTEGER milliseconds since 1970-01-01T00:00:00Z (UTC). Event times are truncated
-- to the millisecond; the full-precision times stay in the JSON records of findings and
-- incidents. Every table is STRICT, so SQLite rejects a value of the wrong type instead of
-- converting it.

-- One row per principal of one provider. `id` is the compact key that every other table uses.
CREATE TABLE identities (
    id INTEGER PRIMARY KEY,
    provider TEXT NOT NULL,
    provider_id TEXT NOT NULL,
    -- The kind the log states, such as `human` or `iam_user_access_key`.
    kind TEXT NOT NULL,
    -- The kind the inventory declares; when set, it wins over `kind`.
    kind_override TEXT,
    effective_kind TEXT GENERATED ALWAYS AS (coalesce(kind_override, kind)) VIRTUAL,
    display_name TEXT,
    -- NOCASE because providers differ in the case of the same address.
    email TEXT COLLATE NOCASE,
    first_seen INTEGER NOT NULL,
    last_seen INTEGER NOT NULL,
    event_count INTEGER NOT NULL CHECK (event_count >= 0),
    authentication_count INTEGER NOT NULL CHECK (authentication_count >= 0),
    UNIQUE (provider, provider_id),
    CHECK (first_seen <= last_seen)
) STRICT;

-- Lists filtered by kind walk this index in id order instead of scanning every identity.
CREATE INDEX identities_by_kind ON identities (effective_kind, id);

-- Resolution by e-mail address finds the accounts of one person in every provider.
CREATE INDEX identities_by_email ON identities (email) WHERE email IS NOT NULL;

-- An undirected link between two identities of one person or workload, once per source.
-- The smaller id is always `identity_a`, so that a link has one row whichever way it was seen.
CREATE TABLE identity_links (
    identity_a INTEGER NOT NULL REFERENCES identities (id),
    identity_b INTEGER NOT NULL REFERENCES identities (id),
    source TEXT NOT NULL,
    evidence TEXT,
    first_seen INTEGER NOT NULL,
    PRIMARY KEY (identity_a, identity_b, source),
    CHECK (identity_a < identity_b)
) STRICT, WITHOUT ROWID;

-- The primary key serves links whose smaller id is the identity; this index serves the others.
CREATE INDEX identity_links_by_b ON identity_links (identity_b);

-- The serialized behavioural baseline of an identity. The store does not read `data`.
CREATE TABLE baselines (
    identity_id INTEGER PRIMARY KEY REFERENCES identities (id),
    format_version INTEGER NOT NULL CHECK (format_version >= 0),
    data BLOB NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;

-- Privileges seen granted to an identity, for its blast radius.
CREATE TABLE privileges_seen (
    identity_id INTEGER NOT NULL REFERENCES identities (id),
    privilege TEXT NOT NULL,
    admin INTEGER NOT NULL CHECK (admin IN (0, 1)),
    first_seen INTEGER NOT NULL,
    event_id TEXT NOT NULL,
    PRIMARY KEY (identity_id, privilege)
) STRICT, WITHOUT ROWID;

CREATE TABLE findings (
    id TEXT PRIMARY KEY,
    detection TEXT NOT NULL,
    severity TEXT NOT NULL CHECK (severity IN ('info', 'low', 'medium', 'high', 'critical')),
    identity_id INTEGER NOT NULL REFERENCES identities (id),
    first_seen INTEGER NOT NULL,
    last_seen INTEGER NOT NULL,
    record TEXT NOT NULL CHECK (json_valid(record)),
    CHECK (first_seen <= last_seen)
) STRICT;

-- The recent findings of one identity, newest first, without a sort.
CREATE INDEX findings_by_identity ON findings (identity_id, last_seen);

CREATE TABLE incidents (
    id TEXT PRIMARY KEY,
    severity TEXT NOT NULL CHECK (severity IN ('info', 'low', 'medium', 'high', 'critical')),
    identity_id INTEGER NOT NULL REFERENCES identities (id),
    first_seen INTEGER NOT NULL,
    last_seen INTEGER NOT NULL,
    record TEXT NOT NULL CHECK (json_valid(record)),
    CHECK (first_seen <= last_seen)
) STRICT;

-- The recent incidents of one identity, newest first, without a sort.
CREATE INDEX incidents_by_identity ON incidents (identity_id, last_seen);

-- How far each input file has been read. Times here are wall-clock milliseconds.
CREATE TABLE checkpoints (
    path TEXT PRIMARY KEY,
    file_size INTEGER NOT NULL CHECK (file_size >= 0),
    byte_offset INTEGER NOT NULL CHECK (byte_offset >= 0 AND byte_offset <= file_size),
    -- How many leading bytes `head_sha256` covers: 4096, or the whole file when it was shorter.
    head_len INTEGER NOT NULL CHECK (head_len >= 0 AND head_len <= 4096),
    head_sha256 TEXT NOT NULL CHECK (length(head_sha256) = 64),
    records_read INTEGER NOT NULL CHECK (records_read >= 0),
    updated_at INTEGER NOT NULL
) STRICT;

-- One row per command run against the state file. Times here are wall-clock milliseconds.
CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    command TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    finished_at INTEGER,
    records INTEGER NOT NULL CHECK (records >= 0),
    rejected INTEGER NOT NULL CHECK (rejected >= 0),
    findings INTEGER NOT NULL CHECK (findings >= 0),
    status TEXT NOT NULL CHECK (status IN ('running', 'completed', 'failed'))
) STRICT;
