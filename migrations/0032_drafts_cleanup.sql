-- Drafts nobody may see any more. A removed member's drafts: removeMember deletes them from now
-- on; earlier removals left them on the ticket pages as "<name> has a draft", readable by the
-- teammates. And empty rows (a sent or emptied draft, kept only for its generation) older than an
-- hour: sessions.cleanup deletes those every 15 minutes from now on.
DELETE FROM "drafts" d
WHERE NOT EXISTS (
  SELECT 1 FROM "memberships" m WHERE m.workspace_id = d.workspace_id AND m.user_id = d.user_id
);
--> statement-breakpoint
DELETE FROM "drafts" WHERE body = '' AND files = '[]'::jsonb AND updated_at < now() - interval '1 hour';
