-- Where a merged-away contact went: a customer page, or a form posted from one, for a contact
-- merged into another says so and links there (contactMergedInto), instead of "Page not found".
-- The merge's audit row names the contact that went (data.mergedContactId); only merges are indexed.
CREATE INDEX "audit_events_merged_contact_idx" ON "audit_events" USING btree ("workspace_id",("data"->>'mergedContactId')) WHERE "audit_events"."action" = 'contact.merged';
