ALTER TABLE "ticket_triage" ADD COLUMN "run_claim" uuid;--> statement-breakpoint
ALTER TABLE "ticket_triage" ADD COLUMN "run_claimed_until" timestamp with time zone;