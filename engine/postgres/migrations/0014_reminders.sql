-- Reminders sent: an item (a key result or KPI) is reminded to its owner
-- once per window of its cadence, which starts on window_start.
CREATE TABLE reminder_sent (
    owner        TEXT COLLATE "C" NOT NULL,
    item         TEXT COLLATE "C" NOT NULL,
    window_start TEXT COLLATE "C" NOT NULL, -- YYYY-MM-DD
    sent_at      TEXT COLLATE "C" NOT NULL, -- RFC 3339, UTC
    PRIMARY KEY (owner, item, window_start)
);
