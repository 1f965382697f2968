ALTER TABLE "emails" ADD COLUMN "bcc_html" text;--> statement-breakpoint
ALTER TABLE "emails" ADD COLUMN "bcc_text" text;