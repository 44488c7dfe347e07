-- Up Migration

-- A document the marketplace listed under an id we will not use as a file name (`../../etc/passwd`,
-- `a/b`): recorded with the reason, never downloaded, and no longer in the way of the others.
ALTER TABLE documents ADD COLUMN rejected_reason text;

-- Down Migration
ALTER TABLE documents DROP COLUMN rejected_reason;
