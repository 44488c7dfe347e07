-- Up Migration

-- When the token flow last refreshed an account's token: a refresh triggered before this moment has
-- already been served, which is how concurrent triggers end in exactly one refresh call.
ALTER TABLE account_credentials ADD COLUMN token_refreshed_at timestamptz;

-- Stock held by an inventory-deduct saga between "reserved" and "pushed everywhere". The key is the
-- message's idempotency key, so a retried reservation finds its own row instead of reserving twice.
CREATE TABLE inventory_reservations (
  reservation_key  text PRIMARY KEY,
  account_id       text NOT NULL REFERENCES seller_accounts (id) ON DELETE CASCADE,
  sku_id           text NOT NULL REFERENCES skus (id),
  quantity         integer NOT NULL CHECK (quantity > 0),
  status           text NOT NULL CHECK (status IN ('reserved', 'committed', 'released')),
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX inventory_reservations_open_idx ON inventory_reservations (sku_id) WHERE status = 'reserved';

-- One row per saga execution: how it ended and which compensations ran. `needs_attention` rows are
-- what an operator must look at: a compensation failed and the world may be half-changed.
CREATE TABLE saga_runs (
  workflow_id    text PRIMARY KEY,
  saga           text NOT NULL,
  account_id     text NOT NULL,
  status         text NOT NULL CHECK (status IN ('completed', 'compensated', 'needs_attention')),
  failed_step    text,
  reason         text,
  compensations  jsonb NOT NULL DEFAULT '[]'::jsonb,
  finished_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX saga_runs_attention_idx ON saga_runs (account_id) WHERE status = 'needs_attention';

-- How far each account's reads from a marketplace have got, per resource (orders, returns, ...).
CREATE TABLE sync_cursors (
  account_id   text NOT NULL REFERENCES seller_accounts (id) ON DELETE CASCADE,
  resource     text NOT NULL,
  synced_until timestamptz NOT NULL,
  updated_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (account_id, resource)
);

-- Down Migration
DROP TABLE sync_cursors;
DROP TABLE saga_runs;
DROP TABLE inventory_reservations;
ALTER TABLE account_credentials DROP COLUMN token_refreshed_at;
