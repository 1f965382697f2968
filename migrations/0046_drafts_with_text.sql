-- The drafts with text, by ticket and agent: what the queue row's "your draft" marker and the
-- ticket page's "has a draft" list look for. A send leaves its sender's draft row empty for an
-- hour (its generation must outlive the text), so every queue page fetched and discarded a row
-- for each ticket the agent had just replied to (docs/performance.md, session 28).
CREATE INDEX "drafts_with_text_idx" ON "drafts" USING btree ("ticket_id","user_id") WHERE "drafts"."body" <> '';
