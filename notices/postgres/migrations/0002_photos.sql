-- Evidence photos of fines (issue 14): the re-encoded JPEG bytes, kept in
-- the database so that pg_dump and base backups carry them. The fine's
-- document lists them with their SHA-256, which the ledger covers.
CREATE TABLE photos (
    fine_id text COLLATE "C" NOT NULL REFERENCES fines (id),
    n       integer NOT NULL CHECK (n > 0),
    jpeg    bytea   NOT NULL,
    PRIMARY KEY (fine_id, n)
);
