CREATE TABLE "ai_run_claims" (
	"workspace_id" uuid NOT NULL,
	"key" text NOT NULL,
	"claim" uuid NOT NULL,
	"claimed_until" timestamp with time zone NOT NULL,
	CONSTRAINT "ai_run_claims_workspace_id_key_pk" PRIMARY KEY("workspace_id","key")
);
--> statement-breakpoint
ALTER TABLE "ai_run_claims" ADD CONSTRAINT "ai_run_claims_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;