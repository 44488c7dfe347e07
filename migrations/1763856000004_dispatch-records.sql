-- Up Migration

-- Work whose workflow completed, one row per message identity (the workflow id is the message's
-- type, account and idempotency key). Written by the poller before it deletes the message; read before
-- a workflow is started and by `npm run dlq -- replay`, so completed work is never redone, even after
-- Temporal's namespace retention has forgotten the run that did it.
CREATE TABLE completed_work (
  workflow_id      text PRIMARY KEY,
  idempotency_key  text NOT NULL,
  message_type     text NOT NULL,
  account_id       text NOT NULL,
  run_id           text NOT NULL,
  source_queue     text NOT NULL,
  completed_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX completed_work_completed_at_idx ON completed_work (completed_at);

-- Every message a poller moved to a DLQ, with why. SQS hides a FIFO group's later messages while an
-- earlier one is in flight, so `npm run dlq -- peek/replay` read the letters from here; the SQS copy
-- is what replay sends back and deletes. `disposition`: `failed` (its budget of runs is spent or it
-- failed for good), `parked` (refused for a state of its account an operator can change), `stopped`
-- (an operator terminated or cancelled its workflow), `invalid` (not a message this service can run).
CREATE TABLE dead_letters (
  id                 bigserial PRIMARY KEY,
  source_queue       text NOT NULL,
  source_message_id  text NOT NULL,
  source_sequence    text,
  source_sent_at     timestamptz,
  group_id           text,
  message_type       text,
  account_id         text,
  idempotency_key    text,
  workflow_id        text,
  disposition        text NOT NULL CHECK (disposition IN ('failed', 'parked', 'stopped', 'invalid')),
  reason             text NOT NULL,
  failure_type       text,
  body               text NOT NULL,
  dead_lettered_at   timestamptz NOT NULL DEFAULT now(),
  state              text NOT NULL DEFAULT 'in_dlq' CHECK (state IN ('in_dlq', 'replayed', 'set_aside', 'purged')),
  state_changed_at   timestamptz,
  UNIQUE (source_queue, source_message_id)
);
CREATE INDEX dead_letters_open_idx ON dead_letters (source_queue, group_id, id) WHERE state = 'in_dlq';

-- Down Migration
DROP TABLE dead_letters;
DROP TABLE completed_work;
