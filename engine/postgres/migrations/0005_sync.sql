-- Where okrmap sync reads each KPI's values, and how its last read went.
ALTER TABLE kpi ADD COLUMN measure TEXT COLLATE "C" NOT NULL DEFAULT ''; -- JSON: engine.Measure, '' none

-- The last sync of each KPI that has a measure: when, from which
-- connector, and the error when it failed ('' when it read a value).
CREATE TABLE sync_status (
    kpi_id    BIGINT PRIMARY KEY REFERENCES entity (id) ON DELETE CASCADE,
    connector TEXT COLLATE "C" NOT NULL,
    at        TEXT COLLATE "C" NOT NULL,
    error     TEXT COLLATE "C" NOT NULL DEFAULT ''
);

-- The trace of an entity with several findings, once per audit run: each
-- finding repeated it before. A lone finding keeps its trace inline.
CREATE TABLE audit_trace (
    run_id BIGINT NOT NULL REFERENCES audit_run (id) ON DELETE CASCADE,
    entity TEXT COLLATE "C" NOT NULL,
    trace  TEXT COLLATE "C" NOT NULL, -- JSON array of keys
    PRIMARY KEY (run_id, entity)
);
