ALTER TABLE "ticket_triage" DROP COLUMN "run_claim";--> statement-breakpoint
ALTER TABLE "ticket_triage" DROP COLUMN "run_claimed_until";