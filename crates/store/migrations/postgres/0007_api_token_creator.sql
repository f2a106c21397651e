-- 0007: who created an API token (the audit log's actor, `user:anna@example.nl` or `cli`), shown
-- on the token page. Tokens made before this migration have none.
ALTER TABLE api_tokens ADD COLUMN created_by TEXT;
