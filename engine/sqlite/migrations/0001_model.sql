-- The model. Every entity has a row in entity; keys share one namespace.
CREATE TABLE entity (
    id   INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('team', 'business_objective', 'objective',
         'key_result', 'kpi', 'assumption', 'investment')),
    key  TEXT NOT NULL UNIQUE
);

CREATE TABLE team (
    id       INTEGER PRIMARY KEY REFERENCES entity (id) ON DELETE CASCADE,
    name     TEXT NOT NULL,
    function TEXT NOT NULL DEFAULT '',
    cadence  TEXT NOT NULL DEFAULT ''
);

CREATE TABLE business_objective (
    id          INTEGER PRIMARY KEY REFERENCES entity (id) ON DELETE CASCADE,
    title       TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    category    TEXT NOT NULL DEFAULT '',
    pnl_line    TEXT NOT NULL DEFAULT '',
    owner       TEXT NOT NULL DEFAULT '',
    period      TEXT NOT NULL DEFAULT '',
    target      REAL,
    unit        TEXT NOT NULL DEFAULT '',
    reviewed_at TEXT NOT NULL DEFAULT ''
);

CREATE TABLE objective (
    id                INTEGER PRIMARY KEY REFERENCES entity (id) ON DELETE CASCADE,
    title             TEXT NOT NULL,
    description       TEXT NOT NULL DEFAULT '',
    team_id           INTEGER REFERENCES team (id),
    owner             TEXT NOT NULL DEFAULT '',
    period            TEXT NOT NULL DEFAULT '',
    parent_id         INTEGER REFERENCES entity (id),
    standalone_reason TEXT NOT NULL DEFAULT '',
    status            TEXT NOT NULL DEFAULT 'active'
);
CREATE INDEX objective_period ON objective (period);

CREATE TABLE key_result (
    id           INTEGER PRIMARY KEY REFERENCES entity (id) ON DELETE CASCADE,
    objective_id INTEGER NOT NULL REFERENCES objective (id),
    title        TEXT NOT NULL,
    owner        TEXT NOT NULL DEFAULT '',
    unit         TEXT NOT NULL DEFAULT '',
    baseline     REAL,
    target       REAL,
    direction    TEXT NOT NULL DEFAULT '',
    due          TEXT NOT NULL DEFAULT '',
    commitment   TEXT NOT NULL DEFAULT '',
    current      REAL,
    confidence   REAL,
    score        REAL
);
CREATE INDEX key_result_objective ON key_result (objective_id);

CREATE TABLE kpi (
    id          INTEGER PRIMARY KEY REFERENCES entity (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    definition  TEXT NOT NULL DEFAULT '',
    unit        TEXT NOT NULL DEFAULT '',
    kind        TEXT NOT NULL DEFAULT '',
    category    TEXT NOT NULL DEFAULT '',
    owner       TEXT NOT NULL DEFAULT '',
    team_id     INTEGER REFERENCES team (id),
    frequency   TEXT NOT NULL DEFAULT '',
    source      TEXT NOT NULL DEFAULT '',
    attribution TEXT NOT NULL DEFAULT '',
    direction   TEXT NOT NULL DEFAULT '',
    target      REAL,
    warning     REAL,
    critical    REAL,
    formula     TEXT NOT NULL DEFAULT '',
    tags        TEXT NOT NULL DEFAULT '' -- JSON array, '' when none
);

-- A KPI's links, in the order the plan gives them.
CREATE TABLE link (
    kpi_id    INTEGER NOT NULL REFERENCES kpi (id) ON DELETE CASCADE,
    to_id     INTEGER NOT NULL REFERENCES entity (id),
    pos       INTEGER NOT NULL,
    weight    REAL,
    rationale TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (kpi_id, to_id)
) WITHOUT ROWID;
CREATE INDEX link_to ON link (to_id);

CREATE TABLE link_assumption (
    kpi_id        INTEGER NOT NULL,
    to_id         INTEGER NOT NULL,
    pos           INTEGER NOT NULL,
    assumption_id INTEGER NOT NULL REFERENCES assumption (id),
    PRIMARY KEY (kpi_id, to_id, assumption_id),
    FOREIGN KEY (kpi_id, to_id) REFERENCES link (kpi_id, to_id) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX link_assumption_assumption ON link_assumption (assumption_id);

CREATE TABLE assumption (
    id        INTEGER PRIMARY KEY REFERENCES entity (id) ON DELETE CASCADE,
    statement TEXT NOT NULL,
    owner     TEXT NOT NULL DEFAULT '',
    status    TEXT NOT NULL DEFAULT '',
    evidence  TEXT NOT NULL DEFAULT '',
    review_by TEXT NOT NULL DEFAULT ''
);

CREATE TABLE investment (
    id            INTEGER PRIMARY KEY REFERENCES entity (id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    amount        REAL NOT NULL,
    currency      TEXT NOT NULL DEFAULT '',
    period        TEXT NOT NULL DEFAULT '',
    owner         TEXT NOT NULL DEFAULT '',
    objective_id  INTEGER REFERENCES entity (id),
    return_kpi_id INTEGER REFERENCES kpi (id),
    return_value  REAL
);
CREATE INDEX investment_return_kpi ON investment (return_kpi_id);
