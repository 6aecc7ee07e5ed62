-- A run's delivery: where the key results in its scope are heading (JSON;
-- '' for runs stored before).
ALTER TABLE audit_run ADD COLUMN delivery TEXT COLLATE "C" NOT NULL DEFAULT '';
