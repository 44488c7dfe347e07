-- Up Migration

-- Bumped by every write of an account's credentials: a token refresh reads the row without a lock,
-- calls the marketplace, then stores its token only if the version is still the one it read
-- (compare-and-set), so no lock is held across the HTTP call and no newer write is lost.
ALTER TABLE account_credentials ADD COLUMN version bigint NOT NULL DEFAULT 0;

-- A refresh in progress leases the account's refresh (no row lock, no connection held across the
-- call): a concurrent refresh waits for the lease to end, then finds its trigger served. The lease
-- ends with the refresh, or on its own after `refresh_lease_until` if the refresher died.
ALTER TABLE account_credentials ADD COLUMN refresh_lease_key text;
ALTER TABLE account_credentials ADD COLUMN refresh_lease_until timestamptz;

-- Down Migration

ALTER TABLE account_credentials DROP COLUMN refresh_lease_until;
ALTER TABLE account_credentials DROP COLUMN refresh_lease_key;
ALTER TABLE account_credentials DROP COLUMN version;
