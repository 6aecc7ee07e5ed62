-- The key results an objective serves besides its parent line, in plan order.
CREATE TABLE objective_align (
    objective_id  INTEGER NOT NULL REFERENCES objective (id) ON DELETE CASCADE,
    key_result_id INTEGER NOT NULL REFERENCES key_result (id) ON DELETE CASCADE,
    pos           INTEGER NOT NULL,
    PRIMARY KEY (objective_id, key_result_id)
) WITHOUT ROWID;
CREATE INDEX objective_align_key_result ON objective_align (key_result_id);
