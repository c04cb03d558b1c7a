-- The supervisor's page reads the day's and the week's SLA results and
-- satisfaction answers. Without these indexes each read would scan every
-- SLA event and every case ever recorded; with them it reads the period.
-- Neither is touched on the message write path: an SLA event is written
-- when a clock stops or breaches, and `csat_at` only when a customer answers
-- (a new case adds one entry with a NULL time).
CREATE INDEX sla_events_by_time ON sla_events(kind, clock, at);
CREATE INDEX cases_by_csat ON cases(csat_at, csat_score);
