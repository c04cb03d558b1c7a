-- What drives contact: inbound messages counted by hour (stream time, the
-- message's own time) on each dimension the detectors read (topic, product,
-- area, brand, channel; `all` counts every contact once), with their
-- sentiment. The detectors' task adds to it after each batch; the firewall
-- reports read it. Times are ms since the epoch, UTC.
CREATE TABLE contact_drivers (
    dimension     TEXT NOT NULL,
    hour          INTEGER NOT NULL,
    value         TEXT NOT NULL,
    contacts      INTEGER NOT NULL,
    negative      INTEGER NOT NULL,
    positive      INTEGER NOT NULL,
    sentiment_sum REAL NOT NULL,
    PRIMARY KEY (dimension, hour, value)
) WITHOUT ROWID;

-- Small named positions of background tasks. `drivers_through`: the highest
-- message id the contact drivers have counted (messages above it are counted
-- when the detectors start).
CREATE TABLE task_state (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;
