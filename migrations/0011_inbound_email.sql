CREATE TYPE "public"."inbound_status" AS ENUM('received', 'filed', 'duplicate', 'unrouted', 'bounce', 'dropped', 'failed');--> statement-breakpoint
CREATE TYPE "public"."inbound_threading" AS ENUM('token', 'header', 'new', 'rate-limited');--> statement-breakpoint
CREATE TABLE "email_events" (
	"sg_event_id" text PRIMARY KEY NOT NULL,
	"email_id" uuid,
	"event" text NOT NULL,
	"reason" text,
	"occurred_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "inbound_emails" (
	"id" uuid PRIMARY KEY NOT NULL,
	"sha256" text NOT NULL,
	"content_type" text NOT NULL,
	"raw" "bytea" NOT NULL,
	"size" integer NOT NULL,
	"status" "inbound_status" DEFAULT 'received' NOT NULL,
	"workspace_id" uuid,
	"mailbox_id" uuid,
	"ticket_id" uuid,
	"email_id" uuid,
	"error" text,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"processed_at" timestamp with time zone,
	CONSTRAINT "inbound_emails_sha256_unique" UNIQUE("sha256")
);
--> statement-breakpoint
ALTER TABLE "contacts" ADD COLUMN "bounced_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "contacts" ADD COLUMN "bounce_reason" text;--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "inbound_email_id" uuid;--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "threaded_by" "inbound_threading";--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "not_from_participant" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "inbound_key" text;--> statement-breakpoint
ALTER TABLE "email_events" ADD CONSTRAINT "email_events_email_id_emails_id_fk" FOREIGN KEY ("email_id") REFERENCES "public"."emails"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "inbound_emails" ADD CONSTRAINT "inbound_emails_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "inbound_emails" ADD CONSTRAINT "inbound_emails_mailbox_id_mailboxes_id_fk" FOREIGN KEY ("mailbox_id") REFERENCES "public"."mailboxes"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "inbound_emails" ADD CONSTRAINT "inbound_emails_ticket_id_tickets_id_fk" FOREIGN KEY ("ticket_id") REFERENCES "public"."tickets"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "inbound_emails" ADD CONSTRAINT "inbound_emails_email_id_emails_id_fk" FOREIGN KEY ("email_id") REFERENCES "public"."emails"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "email_events_email_idx" ON "email_events" USING btree ("email_id","occurred_at");--> statement-breakpoint
CREATE INDEX "inbound_emails_mailbox_idx" ON "inbound_emails" USING btree ("mailbox_id","received_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "inbound_emails_received_idx" ON "inbound_emails" USING btree ("received_at" DESC NULLS LAST);--> statement-breakpoint
ALTER TABLE "messages" ADD CONSTRAINT "messages_inbound_email_id_inbound_emails_id_fk" FOREIGN KEY ("inbound_email_id") REFERENCES "public"."inbound_emails"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "emails_provider_id_idx" ON "emails" USING btree ("provider_id");--> statement-breakpoint
CREATE INDEX "messages_workspace_email_message_id_idx" ON "messages" USING btree ("workspace_id","email_message_id") WHERE email_message_id is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "messages_workspace_inbound_key" ON "messages" USING btree ("workspace_id","inbound_key") WHERE inbound_key is not null;--> statement-breakpoint
CREATE INDEX "tickets_workspace_thread_message_id_idx" ON "tickets" USING btree ("workspace_id","thread_message_id");