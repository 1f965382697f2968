CREATE TYPE "public"."ai_triage_skip" AS ENUM('limit', 'budget');--> statement-breakpoint
ALTER TABLE "ticket_triage" ADD COLUMN "skipped" "ai_triage_skip";