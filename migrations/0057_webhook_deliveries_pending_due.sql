-- The every-minute webhook.sweep reads only pending deliveries, by when they fall due
-- (lockStuckWebhookDeliveries), instead of scanning every delivery ever made.
CREATE INDEX "webhook_deliveries_pending_due_idx" ON "webhook_deliveries" USING btree (coalesce("next_attempt_at", "created_at")) WHERE status = 'pending';