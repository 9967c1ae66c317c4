-- multa_expect lets one pipelined transaction check, between its
-- statements, that a compare-and-set changed the rows it expected: it
-- raises SQLSTATE MU001 when got differs from want, which makes
-- PostgreSQL skip the rest of the pipeline, COMMIT included, so the
-- transaction rolls back and the writer falls back to locking (see
-- fastpay.go). Used for the ledger head (appends by another process
-- meanwhile) and for the fines a payment settles (changed meanwhile).
CREATE FUNCTION multa_expect(got bigint, want bigint, what text) RETURNS bigint
LANGUAGE plpgsql AS $$
BEGIN
    IF got IS DISTINCT FROM want THEN
        RAISE EXCEPTION 'multa: % (% rows, expected %)', what, got, want USING ERRCODE = 'MU001';
    END IF;
    RETURN got;
END
$$;
