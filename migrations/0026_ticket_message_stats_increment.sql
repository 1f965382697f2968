-- ticket_message_stats (0023/0024) recounted a ticket's messages after every insert: ~1.1 ms of
-- PostgreSQL in each agent reply (issue 12). A message insert now adds itself to the row: the
-- count grows by the new visible messages, the last visible reply is the newer of the stored one
-- and the newest new one (by created_at, then id, as the recount orders them; one primary key
-- probe for the stored one's time), the last agent reply time is a max, and a new message has no
-- attachments yet (they reference it). Exact whatever the new rows' created_at. Tickets without a
-- row (their first message, or rows the invariant cannot vouch for) are recounted as before, and
-- so are updates and deletes. The same lock comes first: the touched tickets, in id order, so a
-- concurrent writer of the same ticket waits, and the update below (a new statement) sees its rows.
CREATE OR REPLACE FUNCTION "ticket_message_stats_messages"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  ids uuid[];
  missing uuid[];
BEGIN
  IF TG_OP = 'INSERT' THEN
    ids := ARRAY(SELECT DISTINCT ticket_id FROM stats_new_messages);
    IF cardinality(ids) = 0 THEN
      RETURN NULL;
    END IF;
    PERFORM 1 FROM tickets WHERE id = ANY(ids) ORDER BY id FOR NO KEY UPDATE;
    missing := ARRAY(SELECT i FROM unnest(ids) i
      WHERE NOT EXISTS (SELECT 1 FROM ticket_message_stats s WHERE s.ticket_id = i));
    IF cardinality(missing) > 0 THEN
      PERFORM ticket_message_stats_refresh(missing);
    END IF;
    UPDATE ticket_message_stats s SET
      message_count = s.message_count + n.n,
      last_reply_id = CASE
        WHEN n.reply_id IS NULL THEN s.last_reply_id
        WHEN s.last_reply_id IS NULL THEN n.reply_id
        WHEN coalesce((n.reply_at, n.reply_id) > (SELECT m.created_at, m.id FROM messages m WHERE m.id = s.last_reply_id), true)
          THEN n.reply_id
        ELSE s.last_reply_id END,
      last_agent_reply_at = CASE
        WHEN n.agent_at IS NULL THEN s.last_agent_reply_at
        ELSE greatest(s.last_agent_reply_at, n.agent_at) END
    FROM (
      SELECT m.ticket_id, count(*)::int AS n,
        (array_agg(m.id ORDER BY m.created_at DESC, m.id DESC) FILTER (WHERE m.kind = 'reply'))[1] AS reply_id,
        max(m.created_at) FILTER (WHERE m.kind = 'reply') AS reply_at,
        max(m.created_at) FILTER (WHERE m.kind = 'reply' AND m.author_user_id IS NOT NULL) AS agent_at
      FROM stats_new_messages m WHERE m.held_until IS NULL GROUP BY m.ticket_id
    ) n
    WHERE s.ticket_id = n.ticket_id AND NOT (n.ticket_id = ANY(missing));
    RETURN NULL;
  ELSIF TG_OP = 'DELETE' THEN
    ids := ARRAY(SELECT DISTINCT ticket_id FROM stats_old_messages);
  ELSE
    -- Only changes to what the details are made of (a delivery status update changes nothing).
    ids := ARRAY(
      SELECT o.ticket_id FROM stats_old_messages o JOIN stats_new_messages n ON n.id = o.id
      WHERE (o.ticket_id, o.kind, o.held_until, o.author_user_id, o.created_at)
        IS DISTINCT FROM (n.ticket_id, n.kind, n.held_until, n.author_user_id, n.created_at)
      UNION
      SELECT n.ticket_id FROM stats_old_messages o JOIN stats_new_messages n ON n.id = o.id
      WHERE (o.ticket_id, o.kind, o.held_until, o.author_user_id, o.created_at)
        IS DISTINCT FROM (n.ticket_id, n.kind, n.held_until, n.author_user_id, n.created_at));
  END IF;
  IF cardinality(ids) > 0 THEN
    PERFORM ticket_message_stats_refresh(ids);
  END IF;
  RETURN NULL;
END $$;
