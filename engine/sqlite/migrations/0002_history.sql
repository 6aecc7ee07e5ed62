-- Append-only history: key result check-ins and KPI measurements.
CREATE TABLE checkin (
    id            INTEGER PRIMARY KEY,
    key_result_id INTEGER NOT NULL REFERENCES key_result (id) ON DELETE CASCADE,
    at            TEXT NOT NULL, -- RFC 3339, UTC
    value         REAL NOT NULL,
    confidence    REAL,
    note          TEXT NOT NULL DEFAULT '',
    author        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX checkin_key_result_at ON checkin (key_result_id, at);

CREATE TABLE measurement (
    id     INTEGER PRIMARY KEY,
    kpi_id INTEGER NOT NULL REFERENCES kpi (id) ON DELETE CASCADE,
    at     TEXT NOT NULL, -- RFC 3339, UTC
    value  REAL NOT NULL,
    author TEXT NOT NULL DEFAULT '',
    note   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX measurement_kpi_at ON measurement (kpi_id, at);
