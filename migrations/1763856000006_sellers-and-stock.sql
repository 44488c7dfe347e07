-- Up Migration

-- A seller is the platform's tenant (one business). It owns a catalogue of SKUs and the stock behind
-- them; its marketplace accounts (seller_accounts) each list some of those SKUs. docs/inventory.md.
CREATE TABLE sellers (
  id            text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9_-]{1,64}$'),
  display_name  text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now()
);

-- Today's data moves forward. Accounts that share a SKU (through a listing, an order line or a
-- reservation) are one business: each connected group of accounts becomes one seller, named after the
-- smallest account id in it. An account that shares nothing becomes a seller of its own.
CREATE TEMP TABLE migration_account_skus AS
  SELECT account_id, sku_id FROM listings
  UNION SELECT account_id, sku_id FROM order_lines
  UNION SELECT account_id, sku_id FROM inventory_reservations;

CREATE TEMP TABLE migration_account_seller AS
  WITH RECURSIVE links AS (
    SELECT DISTINCT x.account_id AS from_account, y.account_id AS to_account
      FROM migration_account_skus x JOIN migration_account_skus y USING (sku_id)
  ), reach (root, account_id) AS (
    SELECT id, id FROM seller_accounts
    UNION
    SELECT reach.root, links.to_account FROM reach JOIN links ON links.from_account = reach.account_id
  )
  SELECT account_id, min(root) AS seller_id FROM reach GROUP BY account_id;

INSERT INTO sellers (id, display_name)
  SELECT m.seller_id, a.display_name
    FROM (SELECT DISTINCT seller_id FROM migration_account_seller) m
    JOIN seller_accounts a ON a.id = m.seller_id;

ALTER TABLE seller_accounts ADD COLUMN seller_id text REFERENCES sellers (id);
UPDATE seller_accounts a SET seller_id = m.seller_id FROM migration_account_seller m WHERE m.account_id = a.id;
ALTER TABLE seller_accounts ALTER COLUMN seller_id SET NOT NULL;
ALTER TABLE seller_accounts ADD CONSTRAINT seller_accounts_seller_account_key UNIQUE (seller_id, id);
CREATE INDEX seller_accounts_seller_idx ON seller_accounts (seller_id);

-- A SKU no account has ever touched has no owner we can tell: the migration stops and names them
-- rather than guess (list each on an account, or delete it, then migrate again).
DO $$
DECLARE
  orphans text;
BEGIN
  SELECT string_agg(s.id, ', ' ORDER BY s.id) INTO orphans
    FROM skus s WHERE NOT EXISTS (SELECT 1 FROM migration_account_skus m WHERE m.sku_id = s.id);
  IF orphans IS NOT NULL THEN
    RAISE EXCEPTION 'SKUs with no account cannot be given a seller: %', orphans
      USING HINT = 'list each SKU on one of its seller''s accounts, or delete it, then run the migration again';
  END IF;
END $$;

-- SKU ids stay unique across the platform (our catalogue ids); the marketplace knows a SKU by the
-- listing's external_id, which is per account, so two sellers may sell the same marketplace code.
ALTER TABLE skus ADD COLUMN seller_id text REFERENCES sellers (id);
UPDATE skus s SET seller_id = owner.seller_id
  FROM (SELECT DISTINCT ON (m.sku_id) m.sku_id, a.seller_id
          FROM migration_account_skus m JOIN migration_account_seller a USING (account_id)) owner
 WHERE owner.sku_id = s.id;
ALTER TABLE skus ALTER COLUMN seller_id SET NOT NULL;
ALTER TABLE skus ADD CONSTRAINT skus_seller_sku_key UNIQUE (seller_id, id);
CREATE INDEX skus_seller_idx ON skus (seller_id);

-- The stock version: one more on every change of stock or reserved, whoever makes it. A push records
-- the version it showed; a push whose version is not newer than the listing's never goes out.
ALTER TABLE skus ADD COLUMN version bigint NOT NULL DEFAULT 1;
CREATE FUNCTION skus_bump_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.stock IS DISTINCT FROM OLD.stock OR NEW.reserved IS DISTINCT FROM OLD.reserved THEN
    NEW.version := OLD.version + 1;
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER skus_version BEFORE UPDATE ON skus FOR EACH ROW EXECUTE FUNCTION skus_bump_version();

-- Orders happen at the marketplace before we hear of them, so an order for more than we have is a
-- fact to record (available, even stock, below zero: oversold), not a row to refuse: refusing it
-- would stop the account's order sync for good and lose the orders after it.
ALTER TABLE skus DROP CONSTRAINT skus_check;
ALTER TABLE skus DROP CONSTRAINT skus_stock_check;
ALTER TABLE skus ADD CONSTRAINT skus_reserved_check CHECK (reserved >= 0);

-- A listing links one of the seller's SKUs to one of the seller's accounts: both halves must be the
-- same seller's, which the two composite keys enforce.
ALTER TABLE listings ADD COLUMN seller_id text;
UPDATE listings l SET seller_id = a.seller_id FROM seller_accounts a WHERE a.id = l.account_id;
ALTER TABLE listings ALTER COLUMN seller_id SET NOT NULL;
ALTER TABLE listings ADD CONSTRAINT listings_seller_account_fkey
  FOREIGN KEY (seller_id, account_id) REFERENCES seller_accounts (seller_id, id) ON DELETE CASCADE;
ALTER TABLE listings ADD CONSTRAINT listings_seller_sku_fkey
  FOREIGN KEY (seller_id, sku_id) REFERENCES skus (seller_id, id) ON DELETE CASCADE;
-- How an order line names the SKU: the account's own code for it.
ALTER TABLE listings ADD CONSTRAINT listings_account_external_key UNIQUE (account_id, external_id);
-- `quantity` is what we last showed on the marketplace; `pushed_version` the SKU version it was
-- computed from (NULL: never pushed by a versioned push).
ALTER TABLE listings ADD COLUMN pushed_version bigint;
ALTER TABLE listings ADD COLUMN pushed_at timestamptz;

-- An order line's part in the stock, moved exactly once per step: none (stored before stock followed
-- orders, or first seen cancelled) → reserved → committed (shipped) → restocked (returned), or
-- reserved → released (cancelled before shipping).
ALTER TABLE order_lines ADD COLUMN seller_id text;
UPDATE order_lines o SET seller_id = a.seller_id FROM seller_accounts a WHERE a.id = o.account_id;
ALTER TABLE order_lines ALTER COLUMN seller_id SET NOT NULL;
ALTER TABLE order_lines ADD CONSTRAINT order_lines_seller_sku_fkey
  FOREIGN KEY (seller_id, sku_id) REFERENCES skus (seller_id, id);
ALTER TABLE order_lines ADD CONSTRAINT order_lines_seller_account_fkey
  FOREIGN KEY (seller_id, account_id) REFERENCES seller_accounts (seller_id, id) ON DELETE CASCADE;
ALTER TABLE order_lines ADD COLUMN stock_state text NOT NULL DEFAULT 'none'
  CHECK (stock_state IN ('none', 'reserved', 'committed', 'released', 'restocked'));
ALTER TABLE orders ADD COLUMN updated_at timestamptz;

ALTER TABLE inventory_reservations ADD COLUMN seller_id text;
UPDATE inventory_reservations r SET seller_id = s.seller_id FROM skus s WHERE s.id = r.sku_id;
ALTER TABLE inventory_reservations ALTER COLUMN seller_id SET NOT NULL;
ALTER TABLE inventory_reservations ADD CONSTRAINT inventory_reservations_seller_sku_fkey
  FOREIGN KEY (seller_id, sku_id) REFERENCES skus (seller_id, id);

-- Every change of a SKU's stock or reserved count, once per business event (movement_key: the kind,
-- marketplace, account, order and line, or the message that asked for it), with the version it made.
-- created_at is when the change took the SKU row (not when its transaction began).
CREATE TABLE stock_movements (
  id              bigserial PRIMARY KEY,
  movement_key    text NOT NULL UNIQUE,
  seller_id       text NOT NULL,
  sku_id          text NOT NULL,
  kind            text NOT NULL CHECK (kind IN ('reserve', 'commit', 'release', 'restock', 'deduct', 'undo-deduct')),
  quantity        integer NOT NULL CHECK (quantity > 0),
  stock_delta     integer NOT NULL,
  reserved_delta  integer NOT NULL,
  -- Written by the same transaction right after the SKU row changes; never seen empty outside it.
  version_after   bigint,
  account_id      text,
  order_id        text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (seller_id, sku_id) REFERENCES skus (seller_id, id) ON DELETE CASCADE
);
CREATE INDEX stock_movements_sku_idx ON stock_movements (sku_id, id);

-- What the periodic read-back found: a listing whose marketplace quantity was not the SKU's available
-- stock, and whether the push that repaired it went through. Once per run and listing.
CREATE TABLE drift_findings (
  id                    bigserial PRIMARY KEY,
  run_key               text NOT NULL,
  seller_id             text NOT NULL,
  account_id            text NOT NULL,
  sku_id                text NOT NULL,
  external_id           text NOT NULL,
  marketplace_quantity  integer,
  expected_quantity     integer NOT NULL,
  outcome               text NOT NULL CHECK (outcome IN ('repaired', 'repair_failed', 'missing_at_marketplace')),
  detail                text,
  found_at              timestamptz NOT NULL DEFAULT now(),
  UNIQUE (run_key, account_id, sku_id)
);
CREATE INDEX drift_findings_found_idx ON drift_findings (found_at);

-- Dead letters of seller work can be listed and replayed by seller as well as by account.
ALTER TABLE dead_letters ADD COLUMN seller_id text;

DROP TABLE migration_account_seller;
DROP TABLE migration_account_skus;

-- Down Migration
ALTER TABLE dead_letters DROP COLUMN seller_id;
DROP TABLE drift_findings;
DROP TABLE stock_movements;
ALTER TABLE inventory_reservations DROP COLUMN seller_id;
ALTER TABLE orders DROP COLUMN updated_at;
ALTER TABLE order_lines DROP COLUMN stock_state;
ALTER TABLE order_lines DROP COLUMN seller_id;
ALTER TABLE listings DROP COLUMN pushed_at;
ALTER TABLE listings DROP COLUMN pushed_version;
ALTER TABLE listings DROP CONSTRAINT listings_account_external_key;
ALTER TABLE listings DROP COLUMN seller_id;
ALTER TABLE skus DROP CONSTRAINT skus_reserved_check;
ALTER TABLE skus ADD CONSTRAINT skus_check CHECK (reserved >= 0 AND reserved <= stock);
ALTER TABLE skus ADD CONSTRAINT skus_stock_check CHECK (stock >= 0);
DROP TRIGGER skus_version ON skus;
DROP FUNCTION skus_bump_version();
ALTER TABLE skus DROP COLUMN version;
ALTER TABLE skus DROP COLUMN seller_id;
ALTER TABLE seller_accounts DROP COLUMN seller_id;
DROP TABLE sellers;
