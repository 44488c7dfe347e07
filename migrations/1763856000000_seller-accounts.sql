-- Up Migration
CREATE TABLE seller_accounts (
  id            text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9_-]{1,64}$'),
  marketplace   text NOT NULL CHECK (marketplace IN ('ajio', 'meesho', 'amazon', 'flipkart')),
  display_name  text NOT NULL,
  enabled       boolean NOT NULL DEFAULT true,
  status        text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'needs_reauth', 'suspended')),
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX seller_accounts_enabled_marketplace_idx ON seller_accounts (marketplace) WHERE enabled;

-- Down Migration
DROP TABLE seller_accounts;
