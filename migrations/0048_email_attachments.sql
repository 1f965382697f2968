-- The files an email carries as attachments (attachments.id of its workspace, in the order the
-- email lists them), read from storage at each send: an agent reply's files went nowhere before.
ALTER TABLE "emails" ADD COLUMN "attachment_ids" uuid[] DEFAULT '{}'::uuid[] NOT NULL;
