-- What okrmap serve needs: waivers, API tokens, idempotent writes, who
-- applied and audited, and one-off markers.
CREATE TABLE waiver (
    id         INTEGER PRIMARY KEY AUTOINCREMENT, -- never reused
    rule       TEXT NOT NULL,
    entity     TEXT NOT NULL, -- a key or a glob
    reason     TEXT NOT NULL,
    owner      TEXT NOT NULL DEFAULT '',
    until      TEXT NOT NULL, -- YYYY-MM-DD
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL DEFAULT ''
);
CREATE INDEX waiver_rule ON waiver (rule, entity);

CREATE TABLE api_token (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE,
    role         TEXT NOT NULL,
    hash         TEXT NOT NULL UNIQUE, -- hex SHA-256 of the secret
    created_at   TEXT NOT NULL,
    expires_at   TEXT NOT NULL DEFAULT '', -- '' never
    revoked_at   TEXT NOT NULL DEFAULT '',
    last_used_at TEXT NOT NULL DEFAULT ''
);

-- Keys of writes already done, so a retried request stores nothing twice.
CREATE TABLE idempotency (
    key          TEXT PRIMARY KEY,
    request_hash TEXT NOT NULL,
    stored       INTEGER NOT NULL,
    created_at   TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE apply_log (
    id        INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    author    TEXT NOT NULL,
    created   INTEGER NOT NULL,
    updated   INTEGER NOT NULL,
    unchanged INTEGER NOT NULL
);

ALTER TABLE audit_run ADD COLUMN author TEXT NOT NULL DEFAULT '';

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

-- Bumped by every write, so readers can tell whether their cache is current.
CREATE TABLE revision (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    n  INTEGER NOT NULL
);
INSERT INTO revision (id, n) VALUES (1, 0);

-- Webhook notifications that could not be delivered, retried on the next
-- audit that notifies the same URL.
CREATE TABLE pending_notification (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    url        TEXT NOT NULL,
    body       BLOB NOT NULL,
    created_at TEXT NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX pending_notification_url ON pending_notification (url, id);

-- Derived KPIs, found without scanning every KPI on each measurement.
CREATE INDEX kpi_derived ON kpi (id) WHERE formula != '';

-- A finding carried from the previous run because its plugin failed.
ALTER TABLE audit_finding ADD COLUMN not_judged INTEGER NOT NULL DEFAULT 0;

-- The KPI whose value a key result is; its measurements become check-ins.
ALTER TABLE key_result ADD COLUMN measured_by_id INTEGER REFERENCES entity (id) ON DELETE SET NULL;
CREATE INDEX key_result_measured_by ON key_result (measured_by_id) WHERE measured_by_id IS NOT NULL;

-- Quarter closes, with what reopening one restores.
CREATE TABLE quarter_close (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    period      TEXT NOT NULL,
    next        TEXT NOT NULL DEFAULT '',
    closed_at   TEXT NOT NULL,
    author      TEXT NOT NULL DEFAULT '',
    undo        TEXT NOT NULL, -- JSON: closeUndo
    reopened_at TEXT NOT NULL DEFAULT ''
);
