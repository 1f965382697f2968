ALTER TYPE "public"."ai_triage_skip" ADD VALUE 'retrying';--> statement-breakpoint
ALTER TYPE "public"."ai_triage_skip" ADD VALUE 'busy';