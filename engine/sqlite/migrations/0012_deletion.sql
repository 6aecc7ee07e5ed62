-- Deleted entities keep their last definition and history here.
CREATE TABLE archived_entity (
    id         INTEGER PRIMARY KEY,
    kind       TEXT NOT NULL,
    key        TEXT NOT NULL,
    deleted_at TEXT NOT NULL, -- RFC 3339, UTC
    author     TEXT NOT NULL DEFAULT '',
    entity     TEXT NOT NULL, -- JSON, as a plan file writes it
    history    TEXT NOT NULL DEFAULT '[]' -- JSON: its check-ins or measurements
);
CREATE INDEX archived_entity_key ON archived_entity (key);

-- The plan set whose files last applied the entity: apply --set NAME
-- --prune deletes the set's entities its files no longer name.
ALTER TABLE entity ADD COLUMN plan_set TEXT NOT NULL DEFAULT '';
