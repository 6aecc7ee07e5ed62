-- A check-in may be words only: a comment, with no value, that never
-- moves a key result's progress.
ALTER TABLE checkin ADD COLUMN comment INTEGER NOT NULL DEFAULT 0;
