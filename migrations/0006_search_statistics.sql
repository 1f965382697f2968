-- With the default statistics target, a word missing from the most-common-lexeme list is
-- estimated at ~0.5% of tickets, so a rare-word search walked the activity index through
-- most of a large workspace instead of using the GIN index. A larger sample makes the
-- estimates for rare words small enough that the planner picks the GIN bitmap.
ALTER TABLE "tickets" ALTER COLUMN "search" SET STATISTICS 1000;
