CREATE INDEX "emails_message_idx" ON "emails" USING btree ("message_id");--> statement-breakpoint
CREATE INDEX "emails_ticket_idx" ON "emails" USING btree ("ticket_id");