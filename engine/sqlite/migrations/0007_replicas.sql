-- What several okrmap servers on one database share.

-- Dashboard sessions, so a browser stays signed in whichever server
-- answers. Only hashes are kept: of the cookie and of the token.
CREATE TABLE web_session (
    id         TEXT PRIMARY KEY, -- hex SHA-256 of the cookie's value
    token_hash TEXT NOT NULL,    -- api_token.hash
    expires_at TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX web_session_expires ON web_session (expires_at);

-- One row per tick of a schedule that a server ran: the first server to
-- insert the row runs the tick, the others skip it.
CREATE TABLE schedule_claim (
    schedule   TEXT NOT NULL,
    slot       TEXT NOT NULL, -- the tick's scheduled time, RFC 3339 UTC
    owner      TEXT NOT NULL, -- the server that ran it
    claimed_at TEXT NOT NULL,
    PRIMARY KEY (schedule, slot)
) WITHOUT ROWID;

-- Audits started over HTTP, so any server can say how one is going. The
-- server running a job beats beat_at while it runs; a job whose beat
-- stopped lost its server.
CREATE TABLE audit_job (
    id         INTEGER PRIMARY KEY,
    status     TEXT NOT NULL, -- running, done or failed
    run_id     INTEGER,
    error      TEXT NOT NULL DEFAULT '',
    owner      TEXT NOT NULL,
    started_at TEXT NOT NULL,
    beat_at    TEXT NOT NULL
);
