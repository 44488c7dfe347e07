-- Up Migration

-- Secrets are stored only as AES-256-GCM ciphertext (src/security/credentials.ts); the key id says
-- which key of the keyring sealed them, so keys can rotate. Expiry stays in clear for the sweeps.
CREATE TABLE account_credentials (
  account_id        text PRIMARY KEY REFERENCES seller_accounts (id) ON DELETE CASCADE,
  key_id            text NOT NULL,
  sealed            bytea NOT NULL,
  token_expires_at  timestamptz,
  updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX account_credentials_token_expiry_idx ON account_credentials (token_expires_at);

-- kind and cadence are free text on purpose: a row the sweep cannot understand is reported and
-- flagged (needs_attention), not rejected by a constraint at write time by some other system.
CREATE TABLE schedules (
  id               bigserial PRIMARY KEY,
  account_id       text NOT NULL REFERENCES seller_accounts (id) ON DELETE CASCADE,
  kind             text NOT NULL,
  cadence          text NOT NULL,
  payload          jsonb NOT NULL DEFAULT '{}'::jsonb,
  enabled          boolean NOT NULL DEFAULT true,
  next_run_at      timestamptz NOT NULL,
  last_slot_at     timestamptz,
  needs_attention  boolean NOT NULL DEFAULT false,
  attention_reason text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now()
);
-- The scheduling sweep walks exactly this index in (next_run_at, id) order.
CREATE INDEX schedules_due_idx ON schedules (next_run_at, id) WHERE enabled AND NOT needs_attention;
CREATE INDEX schedules_account_idx ON schedules (account_id);

CREATE TABLE skus (
  id          text PRIMARY KEY,
  title       text NOT NULL,
  stock       integer NOT NULL CHECK (stock >= 0),
  reserved    integer NOT NULL DEFAULT 0 CHECK (reserved >= 0 AND reserved <= stock),
  updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE listings (
  account_id    text NOT NULL REFERENCES seller_accounts (id) ON DELETE CASCADE,
  sku_id        text NOT NULL REFERENCES skus (id) ON DELETE CASCADE,
  external_id   text NOT NULL,
  quantity      integer NOT NULL CHECK (quantity >= 0),
  price_paise   bigint NOT NULL CHECK (price_paise >= 0),
  status        text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive')),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (account_id, sku_id)
);
CREATE INDEX listings_sku_idx ON listings (sku_id);

CREATE TABLE orders (
  account_id     text NOT NULL REFERENCES seller_accounts (id) ON DELETE CASCADE,
  external_id    text NOT NULL,
  status         text NOT NULL,
  total_paise    bigint NOT NULL,
  ordered_at     timestamptz NOT NULL,
  synced_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (account_id, external_id)
);

CREATE TABLE order_lines (
  account_id     text NOT NULL,
  order_id       text NOT NULL,
  sku_id         text NOT NULL REFERENCES skus (id),
  quantity       integer NOT NULL CHECK (quantity > 0),
  PRIMARY KEY (account_id, order_id, sku_id),
  FOREIGN KEY (account_id, order_id) REFERENCES orders (account_id, external_id) ON DELETE CASCADE
);

CREATE TABLE returns (
  account_id     text NOT NULL REFERENCES seller_accounts (id) ON DELETE CASCADE,
  external_id    text NOT NULL,
  order_id       text NOT NULL,
  status         text NOT NULL,
  synced_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (account_id, external_id)
);

CREATE TABLE documents (
  account_id     text NOT NULL REFERENCES seller_accounts (id) ON DELETE CASCADE,
  external_id    text NOT NULL,
  kind           text NOT NULL,
  sha256         text,
  storage_path   text,
  downloaded_at  timestamptz,
  PRIMARY KEY (account_id, external_id)
);

CREATE TABLE payouts (
  account_id     text NOT NULL REFERENCES seller_accounts (id) ON DELETE CASCADE,
  external_id    text NOT NULL,
  order_id       text,
  amount_paise   bigint NOT NULL,
  paid_at        timestamptz NOT NULL,
  PRIMARY KEY (account_id, external_id)
);

CREATE TABLE reconciliation_results (
  id             bigserial PRIMARY KEY,
  account_id     text NOT NULL REFERENCES seller_accounts (id) ON DELETE CASCADE,
  run_key        text NOT NULL,
  order_id       text NOT NULL,
  mismatch       text NOT NULL,
  expected_paise bigint,
  actual_paise   bigint,
  recorded_at    timestamptz NOT NULL DEFAULT now(),
  UNIQUE (account_id, run_key, order_id)
);

-- One row per message a sweep decided to send, keyed by the message's idempotency key: the claim.
-- It holds the whole envelope, so a claim whose sender died can be sent again unchanged.
CREATE TABLE dispatch_claims (
  idempotency_key   text PRIMARY KEY,
  sweep             text NOT NULL,
  account_id        text NOT NULL,
  schedule_id       bigint REFERENCES schedules (id) ON DELETE SET NULL,
  queue             text NOT NULL,
  message_type      text NOT NULL,
  envelope          jsonb NOT NULL,
  slot_at           timestamptz NOT NULL,
  claimed_at        timestamptz NOT NULL DEFAULT now(),
  lease_expires_at  timestamptz NOT NULL,
  attempts          integer NOT NULL DEFAULT 1,
  sent_at           timestamptz,
  sqs_message_id    text,
  last_error        text,
  needs_attention   boolean NOT NULL DEFAULT false,
  attention_reason  text
);
-- The claim-sweeper's query: unsent claims by lease expiry.
CREATE INDEX dispatch_claims_unsent_idx ON dispatch_claims (lease_expires_at) WHERE sent_at IS NULL AND NOT needs_attention;
CREATE INDEX dispatch_claims_sent_idx ON dispatch_claims (sent_at) WHERE sent_at IS NOT NULL;

-- The audit of every sweep run; a finished BullMQ job is archived here before Redis drops it.
CREATE TABLE sweep_runs (
  id              bigserial PRIMARY KEY,
  sweep           text NOT NULL,
  slot_at         timestamptz NOT NULL,
  job_id          text,
  trigger         text NOT NULL CHECK (trigger IN ('schedule', 'manual')),
  status          text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'succeeded', 'failed')),
  started_at      timestamptz NOT NULL DEFAULT now(),
  finished_at     timestamptz,
  rows_claimed    integer NOT NULL DEFAULT 0,
  messages_sent   integer NOT NULL DEFAULT 0,
  rows_skipped    integer NOT NULL DEFAULT 0,
  rows_deferred   integer NOT NULL DEFAULT 0,
  send_failures   integer NOT NULL DEFAULT 0,
  details         jsonb NOT NULL DEFAULT '{}'::jsonb,
  error           text
);
CREATE INDEX sweep_runs_sweep_started_idx ON sweep_runs (sweep, started_at DESC);

-- Down Migration
DROP TABLE sweep_runs;
DROP TABLE dispatch_claims;
DROP TABLE reconciliation_results;
DROP TABLE payouts;
DROP TABLE documents;
DROP TABLE returns;
DROP TABLE order_lines;
DROP TABLE orders;
DROP TABLE listings;
DROP TABLE skus;
DROP TABLE schedules;
DROP TABLE account_credentials;
