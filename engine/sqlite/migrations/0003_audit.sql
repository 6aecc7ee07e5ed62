-- Audit runs and their findings.
CREATE TABLE audit_run (
    id          INTEGER PRIMARY KEY,
    scope       TEXT NOT NULL,
    started_at  TEXT NOT NULL, -- RFC 3339, UTC
    finished_at TEXT NOT NULL,
    today       TEXT NOT NULL, -- the day judged as of
    complete    INTEGER NOT NULL,
    packs       TEXT NOT NULL, -- JSON
    scorecard   TEXT NOT NULL, -- JSON
    errors      INTEGER NOT NULL,
    warnings    INTEGER NOT NULL,
    infos       INTEGER NOT NULL,
    waived      INTEGER NOT NULL
);
CREATE INDEX audit_run_scope ON audit_run (scope, id);

CREATE TABLE audit_finding (
    run_id      INTEGER NOT NULL REFERENCES audit_run (id) ON DELETE CASCADE,
    pos         INTEGER NOT NULL,
    rule        TEXT NOT NULL,
    severity    TEXT NOT NULL,
    scope       TEXT NOT NULL,
    entity      TEXT NOT NULL,
    team        TEXT NOT NULL DEFAULT '',
    message     TEXT NOT NULL,
    fix         TEXT NOT NULL DEFAULT '',
    trace       TEXT NOT NULL DEFAULT '', -- JSON array
    fingerprint TEXT NOT NULL,
    waiver      TEXT NOT NULL DEFAULT '', -- JSON, when a waiver matched
    PRIMARY KEY (run_id, pos)
) WITHOUT ROWID;
