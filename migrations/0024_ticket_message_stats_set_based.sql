-- Custom SQL migration file, put your code below! ---- ticket_message_stats_refresh (0023) recounted each ticket with four index probes on
-- messages(ticket_id). The bench seed drops that index while it bulk-loads (and inserts 75,000
-- messages per statement): each probe became a scan of all messages. This version aggregates the
-- touched tickets' messages in one pass (an index scan for a few tickets, one hashed scan for
-- many), with the same locking and the same results.
CREATE OR REPLACE FUNCTION "ticket_message_stats_refresh"(ids uuid[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM tickets WHERE id = ANY(ids) ORDER BY id FOR NO KEY UPDATE;
  INSERT INTO ticket_message_stats AS s (ticket_id, message_count, last_reply_id, last_agent_reply_at, has_attachments)
  SELECT t.id, coalesce(c.n, 0), c.last_reply_id, c.last_agent_reply_at, a.ticket_id IS NOT NULL
  FROM tickets t
  LEFT JOIN (
    SELECT m.ticket_id, count(*)::int AS n,
      (array_agg(m.id ORDER BY m.created_at DESC, m.id DESC) FILTER (WHERE m.kind = 'reply'))[1] AS last_reply_id,
      max(m.created_at) FILTER (WHERE m.kind = 'reply' AND m.author_user_id IS NOT NULL) AS last_agent_reply_at
    FROM messages m WHERE m.ticket_id = ANY(ids) AND m.held_until IS NULL GROUP BY m.ticket_id
  ) c ON c.ticket_id = t.id
  LEFT JOIN (
    SELECT DISTINCT m.ticket_id FROM messages m JOIN attachments a ON a.message_id = m.id
    WHERE m.ticket_id = ANY(ids) AND m.held_until IS NULL
  ) a ON a.ticket_id = t.id
  WHERE t.id = ANY(ids)
  ORDER BY t.id
  ON CONFLICT (ticket_id) DO UPDATE SET message_count = excluded.message_count,
    last_reply_id = excluded.last_reply_id, last_agent_reply_at = excluded.last_agent_reply_at,
    has_attachments = excluded.has_attachments;
END $$;
