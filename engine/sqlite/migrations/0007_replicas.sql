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
