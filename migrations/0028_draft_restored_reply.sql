ALTER TABLE "drafts" ADD COLUMN "cc" text[];--> statement-breakpoint
ALTER TABLE "drafts" ADD COLUMN "bcc" text[] DEFAULT '{}'::text[] NOT NULL;--> statement-breakpoint
ALTER TABLE "drafts" ADD COLUMN "status" "ticket_status";--> statement-breakpoint
ALTER TABLE "drafts" ADD COLUMN "files" jsonb DEFAULT '[]'::jsonb NOT NULL;