-- Up Migration

-- When a claim or a schedule was flagged for attention: the ops views and `npm run dlq` show how long
-- it has waited for a person. Rows flagged before this column existed read their flag time as unknown.
ALTER TABLE dispatch_claims ADD COLUMN attention_since timestamptz;
ALTER TABLE schedules ADD COLUMN attention_since timestamptz;

-- The metrics role counts flagged rows every interval, and the ops views list them: both read only these.
CREATE INDEX dispatch_claims_attention_idx ON dispatch_claims (claimed_at) WHERE needs_attention;
CREATE INDEX schedules_attention_idx ON schedules (id) WHERE needs_attention;

-- Down Migration
DROP INDEX schedules_attention_idx;
DROP INDEX dispatch_claims_attention_idx;
ALTER TABLE schedules DROP COLUMN attention_since;
ALTER TABLE dispatch_claims DROP COLUMN attention_since;
