ALTER TABLE "inbound_emails" ALTER COLUMN "raw" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "inbound_emails" ADD COLUMN "raw_sha256" text;