-- Until 0038, an agent reply with CC or BCC recipients was one copy for everyone on it, and that
-- copy carried the customer's private link (/support/t/<token>): each CC'd or BCC'd person could
-- read the ticket's thread, and answer as the customer, for the link's 180 days. The emails still
-- hold the links they carried; every link that went out in a copy someone other than the customer
-- received expires now. Emails from 0038 on carry no link when they have CC recipients, and give
-- BCC recipients their own copy without one (bcc_html), so they match nothing here. The customer
-- keeps the links of the copies they alone got, and every later reply brings a fresh one.
UPDATE "customer_links" AS l
SET "expires_at" = now()
FROM (
  SELECT DISTINCT encode(sha256(convert_to(m[1], 'UTF8')), 'hex') AS token_hash
  FROM "emails" AS e
  CROSS JOIN LATERAL regexp_matches(e."text" || ' ' || e."html", '/support/t/([A-Za-z0-9_-]{20,})', 'g') AS m
  WHERE (cardinality(e."cc") > 0 OR cardinality(e."bcc") > 0)
    AND e."bcc_html" IS NULL
) AS shared
WHERE l."token_hash" = shared.token_hash
  AND l."expires_at" > now();
