-- Up Migration

-- A cancelled workflow is dead-lettered as `cancelled` (a saga compensated before it ended), apart from
-- a terminated one (`stopped`: no compensation ran, the saga may be half-done).
ALTER TABLE dead_letters DROP CONSTRAINT dead_letters_disposition_check;
ALTER TABLE dead_letters ADD CONSTRAINT dead_letters_disposition_check
  CHECK (disposition IN ('failed', 'parked', 'stopped', 'cancelled', 'invalid'));

-- Down Migration

UPDATE dead_letters SET disposition = 'stopped' WHERE disposition = 'cancelled';
ALTER TABLE dead_letters DROP CONSTRAINT dead_letters_disposition_check;
ALTER TABLE dead_letters ADD CONSTRAINT dead_letters_disposition_check
  CHECK (disposition IN ('failed', 'parked', 'stopped', 'invalid'));
