CREATE TABLE "ticket_message_stats" (
	"ticket_id" uuid PRIMARY KEY NOT NULL,
	"message_count" integer NOT NULL,
	"last_reply_id" uuid,
	"last_agent_reply_at" timestamp with time zone,
	"has_attachments" boolean NOT NULL
);
--> statement-breakpoint
ALTER TABLE "ticket_message_stats" ADD CONSTRAINT "ticket_message_stats_ticket_id_tickets_id_fk" FOREIGN KEY ("ticket_id") REFERENCES "public"."tickets"("id") ON DELETE cascade ON UPDATE no action;