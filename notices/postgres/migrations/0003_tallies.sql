-- The dashboard's outstanding tallies (notices.TallyDelta): per day
-- (YYYYMMDD; 0 means since always) and stage, the change of unpaid fines
-- and of their worth that takes effect that day. Every write of a fine
-- adds its new version's deltas and takes out the old one's in the same
-- transaction; the sum of the rows up to a day is what valuing every
-- unpaid fine that day gives. Each (day, stage) is split over a few
-- shards, picked at random per write, so that concurrent payments do not
-- queue on one row lock.
CREATE TABLE outstanding_tallies (
    day   integer  NOT NULL,
    stage text     NOT NULL,
    shard smallint NOT NULL,
    fines bigint   NOT NULL,
    cents bigint   NOT NULL,
    PRIMARY KEY (day, stage, shard)
);

-- The calendar and rules the tallies were computed with (JSON); a process
-- opened with another recomputes them.
CREATE TABLE tally_meta (
    id  integer PRIMARY KEY CHECK (id = 1),
    doc text NOT NULL
);

-- Payments per hour (Rome) and stage (notices.HourTally), added in the
-- transaction of every receipt, sharded as above.
CREATE TABLE payment_tallies (
    day      integer  NOT NULL, -- YYYYMMDD
    hour     smallint NOT NULL,
    stage    text     NOT NULL,
    shard    smallint NOT NULL,
    payments bigint   NOT NULL,
    cents    bigint   NOT NULL,
    PRIMARY KEY (day, hour, stage, shard)
);
