-- Emails stored before 0040 hold the private links they carried (customer links, invitations,
-- password resets, address confirmations): a copy of the database handed them out. From 0040 on an
-- email stores a placeholder and the token is made from the server's secret when it is sent
-- (app/domain/email-link.server.ts). For the old rows already sent, the token is replaced by a
-- placeholder that names nothing: the link keeps working for whoever received it, and nobody can
-- read it out of the database. Rows not sent yet (queued, sending, failed: a Retry sends the stored
-- row) keep theirs, so what is still to go out still works; migration 0039 read the old links before.
UPDATE "emails"
SET
  "text" = regexp_replace("text", '(/(support/t|invite|reset-password|verify-email)/)[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])', '\1sb-link-removed', 'g'),
  "html" = regexp_replace("html", '(/(support/t|invite|reset-password|verify-email)/)[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])', '\1sb-link-removed', 'g')
WHERE "link_id" IS NULL
  AND "status" IN ('sent', 'delivered', 'bounced')
  AND ("text" ~ '/(support/t|invite|reset-password|verify-email)/[A-Za-z0-9_-]{43}'
    OR "html" ~ '/(support/t|invite|reset-password|verify-email)/[A-Za-z0-9_-]{43}');
