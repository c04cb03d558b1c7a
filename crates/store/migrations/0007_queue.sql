-- Queues sort active cases by priority, then by the earliest SLA due time
-- (cases with no running clock last). These two columns let one index serve
-- that order without sorting: `active` is 1 for new, open and pending cases,
-- and `due_sort` is the due time, or the largest integer when none runs.
ALTER TABLE cases ADD COLUMN active INTEGER NOT NULL DEFAULT 1;
ALTER TABLE cases ADD COLUMN due_sort INTEGER NOT NULL DEFAULT 9223372036854775807;
UPDATE cases SET active = (status IN ('new', 'open', 'pending')),
                 due_sort = coalesce(due_at, 9223372036854775807);
DROP INDEX cases_queue;
CREATE INDEX cases_queue ON cases(active, priority, due_sort, id);
CREATE INDEX cases_by_status ON cases(status, updated_at);
CREATE INDEX cases_queue_by_due ON cases(active, due_sort, priority, id);
