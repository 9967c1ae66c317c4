-- Multa schema, version 1. Every document column holds the exact JSON
-- bytes the ledger hashed (bytea, not jsonb: jsonb would reorder keys and
-- the hash would no longer match). The other columns are indexes derived
-- from the document; VerifyLedger checks that they agree with it.
-- Identifiers use the "C" collation so that they sort bytewise, as bbolt
-- keys do, and cursors mean the same on both stores.

CREATE TABLE fines (
    id            text COLLATE "C" PRIMARY KEY,
    report_number text   NOT NULL,
    status        text   NOT NULL,
    plate         text COLLATE "C" NOT NULL,
    occurred_at   bigint NOT NULL, -- Unix nanoseconds of the violation
    ledger_entry  bigint NOT NULL, -- the ledger record about this version
    doc           bytea  NOT NULL
);
CREATE INDEX fines_by_plate  ON fines (plate, occurred_at, id);
CREATE INDEX fines_by_status ON fines (status, occurred_at, id);
CREATE INDEX fines_by_date   ON fines (occurred_at, id);

-- One row per payment option: the primary key makes a NAV unique across
-- all fines, whichever process issues it.
CREATE TABLE fine_navs (
    nav     text COLLATE "C" PRIMARY KEY,
    fine_id text COLLATE "C" NOT NULL REFERENCES fines (id)
);
CREATE INDEX fine_navs_by_fine ON fine_navs (fine_id);

-- The camera detection each imported fine came from
-- (notices.Fine.DetectionKey): the same export imported twice, by any
-- process, fines nobody twice.
CREATE TABLE fine_detections (
    key     bytea PRIMARY KEY, -- bytes: the key separates its parts with NUL
    fine_id text COLLATE "C" NOT NULL REFERENCES fines (id)
);

-- The last report number issued per year (Rome); the row is locked by
-- the transaction that takes a number, so numbers are never skipped or
-- given twice.
CREATE TABLE report_numbers (
    year integer PRIMARY KEY,
    last bigint  NOT NULL
);

-- A fine has one receipt that settled it, and may have more that arrived
-- after (a double payment through pagoPA, a payment after cancellation):
-- those carry an anomaly. A pagoPA receipt (creditor fiscal code and
-- receiptId) is stored once: the unique index decides, across processes.
CREATE TABLE receipts (
    id                 text COLLATE "C" PRIMARY KEY,
    fine_id            text COLLATE "C" NOT NULL,
    paid_at            bigint NOT NULL, -- Unix nanoseconds
    anomaly            text   NOT NULL DEFAULT '',
    pagopa_fiscal_code text COLLATE "C",
    pagopa_receipt_id  text COLLATE "C",
    ledger_entry       bigint NOT NULL,
    doc                bytea  NOT NULL,
    CHECK ((pagopa_fiscal_code IS NULL) = (pagopa_receipt_id IS NULL))
);
CREATE INDEX receipts_by_paid ON receipts (paid_at, id);
CREATE INDEX receipts_by_fine ON receipts (fine_id, paid_at, id);
CREATE UNIQUE INDEX receipts_pagopa ON receipts (pagopa_fiscal_code, pagopa_receipt_id) WHERE pagopa_receipt_id IS NOT NULL;
CREATE INDEX receipts_anomalies ON receipts (paid_at, id) WHERE anomaly <> '';

CREATE TABLE idempotency (
    scope text COLLATE "C" NOT NULL,
    key   text COLLATE "C" NOT NULL,
    doc   bytea NOT NULL,
    PRIMARY KEY (scope, key)
);

CREATE TABLE users (
    username text COLLATE "C" PRIMARY KEY,
    doc      bytea NOT NULL
);

CREATE TABLE refresh_tokens (
    hash     text COLLATE "C" PRIMARY KEY,
    family   text COLLATE "C" NOT NULL,
    username text COLLATE "C" NOT NULL,
    doc      bytea NOT NULL
);
CREATE INDEX refresh_tokens_by_family ON refresh_tokens (family);
CREATE INDEX refresh_tokens_by_user   ON refresh_tokens (username);

-- Settlement flows (pagoPA FlussoRiversamento) by revision, and bank
-- statements. Revisions, withdrawals and statements are immutable and in
-- the ledger (their id is the ledger event's id); flows_current says which
-- revision of a flow is in force, flow_days by which days it is found.
CREATE TABLE flow_revisions (
    id           text COLLATE "C" PRIMARY KEY, -- "<flow id>#<revision, 6 digits>"
    flow_id      text COLLATE "C" NOT NULL,
    revision     integer NOT NULL,
    ledger_entry bigint  NOT NULL,
    doc          bytea   NOT NULL,
    UNIQUE (flow_id, revision)
);
CREATE TABLE flow_withdrawals (
    id           text COLLATE "C" PRIMARY KEY, -- the withdrawn revision's id
    ledger_entry bigint NOT NULL,
    doc          bytea  NOT NULL
);
CREATE TABLE flows_current (
    flow_id   text COLLATE "C" PRIMARY KEY,
    revision  integer NOT NULL,
    withdrawn boolean NOT NULL DEFAULT false
);
CREATE TABLE flow_days (
    day     text COLLATE "C" NOT NULL, -- YYYY-MM-DD
    flow_id text COLLATE "C" NOT NULL,
    PRIMARY KEY (day, flow_id)
);
CREATE TABLE bank_statements (
    id           text COLLATE "C" PRIMARY KEY,
    ledger_entry bigint NOT NULL,
    doc          bytea  NOT NULL
);
CREATE TABLE bank_credits (
    day          text COLLATE "C" NOT NULL, -- booking day, YYYY-MM-DD
    statement_id text COLLATE "C" NOT NULL,
    ref          text COLLATE "C" NOT NULL,
    doc          bytea NOT NULL,
    PRIMARY KEY (day, statement_id, ref)
);

-- The tamper-evident log (golang.org/x/mod/sumdb/tlog): records by
-- number, stored hashes by tlog index, and one head row whose lock
-- serializes appends across every process sharing the database.
CREATE TABLE ledger_records (
    n      bigint PRIMARY KEY,
    record bytea NOT NULL
);
CREATE TABLE ledger_hashes (
    i    bigint PRIMARY KEY,
    hash bytea NOT NULL CHECK (length(hash) = 32)
);
CREATE TABLE ledger_head (
    id   smallint PRIMARY KEY CHECK (id = 1),
    size bigint NOT NULL
);
INSERT INTO ledger_head (id, size) VALUES (1, 0);
