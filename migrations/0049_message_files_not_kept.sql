-- An inbound email's attachments that were not kept (executables, past 10 files or 25 MB), named
-- on its message: the notes were only on the stored post's error column, which agents never see.
ALTER TABLE "messages" ADD COLUMN "files_not_kept" jsonb;
