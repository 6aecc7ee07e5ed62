-- The finance warehouse okrmap reads, with data dated relative to today so
-- the example always has a current quarter:
--   psql "$OKRMAP_WAREHOUSE_DSN" -f examples/connectors/warehouse.sql
DROP TABLE IF EXISTS bookings, opportunities, pipeline_snapshots;

CREATE TABLE bookings (
    id        serial PRIMARY KEY,
    customer  text NOT NULL,
    arr       numeric(12, 2) NOT NULL,
    signed_at timestamptz NOT NULL
);
INSERT INTO bookings (customer, arr, signed_at)
SELECT 'customer-' || n, 18000 + (n * 7919) % 42000, date_trunc('quarter', now()) + (n % 50) * interval '1 day'
FROM generate_series(1, 40) AS n
WHERE date_trunc('quarter', now()) + (n % 50) * interval '1 day' <= now();
INSERT INTO bookings (customer, arr, signed_at) VALUES ('last-quarter', 99000, date_trunc('quarter', now()) - interval '3 days');

CREATE TABLE opportunities (
    id        serial PRIMARY KEY,
    won       boolean NOT NULL,
    closed_at timestamptz NOT NULL
);
INSERT INTO opportunities (won, closed_at)
SELECT n % 4 = 0, date_trunc('quarter', now()) + (n % 45) * interval '1 day'
FROM generate_series(1, 120) AS n
WHERE date_trunc('quarter', now()) + (n % 45) * interval '1 day' <= now();

CREATE TABLE pipeline_snapshots (
    taken_on date PRIMARY KEY,
    open_arr numeric(14, 2) NOT NULL
);
INSERT INTO pipeline_snapshots (taken_on, open_arr)
SELECT current_date - d, 6200000 + (14 - d) * 35000
FROM generate_series(0, 14) AS d;
