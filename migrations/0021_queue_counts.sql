CREATE TABLE "queue_counts" (
	"workspace_id" uuid NOT NULL,
	"assignee_id" uuid,
	"status" "ticket_status" NOT NULL,
	"n" integer NOT NULL,
	CONSTRAINT "queue_counts_key" UNIQUE NULLS NOT DISTINCT("workspace_id","assignee_id","status")
);
--> statement-breakpoint
-- The counters are kept by PostgreSQL itself, in the same transaction as every change to tickets:
-- statement-level triggers read the statement's transition tables and apply one delta per
-- (workspace, assignee, status), so a bulk insert or bulk action costs one upsert per key, not per
-- row. Rows are upserted in key order, so two transactions lock the counter rows they share in the
-- same order (no deadlock between two statements). A statement that changes no key (a reply, a
-- priority change) writes nothing and takes no counter lock. Rows that reach zero are deleted,
-- which also cleans up after a deleted workspace (its tickets are deleted by cascade, and these
-- triggers see that delete too).
CREATE FUNCTION "queue_counts_apply"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO queue_counts AS q (workspace_id, assignee_id, status, n)
    SELECT workspace_id, assignee_id, status, count(*)::int FROM queue_counts_new
    GROUP BY 1, 2, 3 ORDER BY 1, 2 NULLS FIRST, 3
    ON CONFLICT (workspace_id, assignee_id, status) DO UPDATE SET n = q.n + excluded.n;
    RETURN NULL;
  END IF;
  IF TG_OP = 'UPDATE' THEN
    INSERT INTO queue_counts AS q (workspace_id, assignee_id, status, n)
    SELECT workspace_id, assignee_id, status, sum(d)::int FROM (
      SELECT workspace_id, assignee_id, status, 1 AS d FROM queue_counts_new
      UNION ALL
      SELECT workspace_id, assignee_id, status, -1 AS d FROM queue_counts_old
    ) changes
    GROUP BY 1, 2, 3 HAVING sum(d) <> 0 ORDER BY 1, 2 NULLS FIRST, 3
    ON CONFLICT (workspace_id, assignee_id, status) DO UPDATE SET n = q.n + excluded.n;
  ELSE -- DELETE
    INSERT INTO queue_counts AS q (workspace_id, assignee_id, status, n)
    SELECT workspace_id, assignee_id, status, -count(*)::int FROM queue_counts_old
    GROUP BY 1, 2, 3 ORDER BY 1, 2 NULLS FIRST, 3
    ON CONFLICT (workspace_id, assignee_id, status) DO UPDATE SET n = q.n + excluded.n;
  END IF;
  IF FOUND THEN
    DELETE FROM queue_counts q
    WHERE q.n = 0 AND q.workspace_id IN (SELECT workspace_id FROM queue_counts_old);
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER "tickets_queue_counts_insert" AFTER INSERT ON "tickets"
  REFERENCING NEW TABLE AS queue_counts_new FOR EACH STATEMENT EXECUTE FUNCTION queue_counts_apply();
--> statement-breakpoint
CREATE TRIGGER "tickets_queue_counts_update" AFTER UPDATE ON "tickets"
  REFERENCING OLD TABLE AS queue_counts_old NEW TABLE AS queue_counts_new
  FOR EACH STATEMENT EXECUTE FUNCTION queue_counts_apply();
--> statement-breakpoint
CREATE TRIGGER "tickets_queue_counts_delete" AFTER DELETE ON "tickets"
  REFERENCING OLD TABLE AS queue_counts_old FOR EACH STATEMENT EXECUTE FUNCTION queue_counts_apply();
--> statement-breakpoint
CREATE FUNCTION "queue_counts_truncate"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM queue_counts;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER "tickets_queue_counts_truncate" AFTER TRUNCATE ON "tickets"
  FOR EACH STATEMENT EXECUTE FUNCTION queue_counts_truncate();
--> statement-breakpoint
-- The backfill runs after the triggers exist, in the migration's transaction: CREATE TRIGGER
-- locks tickets against writes until commit, so no change falls between the count and the
-- triggers.
INSERT INTO "queue_counts" ("workspace_id", "assignee_id", "status", "n")
SELECT "workspace_id", "assignee_id", "status", count(*)::int FROM "tickets" GROUP BY 1, 2, 3;
