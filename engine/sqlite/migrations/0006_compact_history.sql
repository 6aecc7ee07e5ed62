-- Findings stored once and referenced by every run that has them: an
-- audit whose findings did not change since the scope's last run adds a
-- list of ids. Runs stored before keep their rows in audit_finding and
-- audit_trace.
CREATE TABLE finding_body (
    id          INTEGER PRIMARY KEY,
    digest      BLOB NOT NULL, -- SHA-256 of the other columns, first 16 bytes
    rule        TEXT NOT NULL,
    severity    TEXT NOT NULL,
    scope       TEXT NOT NULL,
    entity      TEXT NOT NULL,
    team        TEXT NOT NULL,
    message     TEXT NOT NULL,
    fix         TEXT NOT NULL,
    trace       TEXT NOT NULL, -- JSON array of keys, '' none
    fingerprint TEXT NOT NULL,
    waiver      TEXT NOT NULL, -- JSON, when a waiver matched
    not_judged  INTEGER NOT NULL
);

-- The run's finding_body ids in report order, each written as the signed
-- varint of its difference from the one before; NULL for runs stored in
-- audit_finding.
ALTER TABLE audit_run ADD COLUMN findings BLOB;
