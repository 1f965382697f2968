ALTER TABLE "tickets" ADD COLUMN "status_version" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "tickets" ADD COLUMN "assignee_version" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
-- Counted by PostgreSQL for every writer (domain, API, MCP, inbound reopen, a deleted user's
-- SET NULL, plain SQL), so a bulk Undo can tell "changed since the batch, even if changed back"
-- from "untouched". The new value is always the old one plus one, whatever the UPDATE set.
CREATE FUNCTION "tickets_count_changes"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.status_version := OLD.status_version + (OLD.status IS DISTINCT FROM NEW.status)::int;
  NEW.assignee_version := OLD.assignee_version + (OLD.assignee_id IS DISTINCT FROM NEW.assignee_id)::int;
  RETURN NEW;
END $$;
--> statement-breakpoint
CREATE TRIGGER "tickets_count_changes" BEFORE UPDATE ON "tickets"
FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.assignee_id IS DISTINCT FROM NEW.assignee_id)
EXECUTE FUNCTION "tickets_count_changes"();
