ALTER TABLE "users" ADD COLUMN "open_chats" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "open_voice" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
-- An operator's load (open chats and calls) kept on their row: a routing pass reads the operators
-- instead of counting every open contact of the workspace (2 ms of each new chat's pass at 2,000
-- open chats under load, and growing with them). A contact counts while it is assigned or active.
CREATE FUNCTION parley_operator_load() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' AND OLD.assignee_id IS NOT NULL AND OLD.status IN ('assigned', 'active') THEN
    UPDATE users SET
      open_chats = open_chats - (OLD.channel = 'chat')::int,
      open_voice = open_voice - (OLD.channel <> 'chat')::int
    WHERE id = OLD.assignee_id;
  END IF;
  IF TG_OP <> 'DELETE' AND NEW.assignee_id IS NOT NULL AND NEW.status IN ('assigned', 'active') THEN
    UPDATE users SET
      open_chats = open_chats + (NEW.channel = 'chat')::int,
      open_voice = open_voice + (NEW.channel <> 'chat')::int
    WHERE id = NEW.assignee_id;
  END IF;
  RETURN NULL;
END $$;--> statement-breakpoint
CREATE TRIGGER contacts_operator_load_insert AFTER INSERT ON contacts FOR EACH ROW
  WHEN (NEW.assignee_id IS NOT NULL AND NEW.status IN ('assigned', 'active'))
  EXECUTE FUNCTION parley_operator_load();--> statement-breakpoint
-- Only when what counts changes: a message's update of its conversation (last seq, preview; or
-- assigned → active) does not fire it.
CREATE TRIGGER contacts_operator_load_update AFTER UPDATE OF status, assignee_id, channel ON contacts FOR EACH ROW
  WHEN ((OLD.assignee_id, OLD.channel, OLD.status IN ('assigned', 'active'))
    IS DISTINCT FROM (NEW.assignee_id, NEW.channel, NEW.status IN ('assigned', 'active')))
  EXECUTE FUNCTION parley_operator_load();--> statement-breakpoint
CREATE TRIGGER contacts_operator_load_delete AFTER DELETE ON contacts FOR EACH ROW
  WHEN (OLD.assignee_id IS NOT NULL AND OLD.status IN ('assigned', 'active'))
  EXECUTE FUNCTION parley_operator_load();--> statement-breakpoint
UPDATE users u SET open_chats = l.chats, open_voice = l.voice
FROM (
  SELECT assignee_id, count(*) FILTER (WHERE channel = 'chat') AS chats,
    count(*) FILTER (WHERE channel <> 'chat') AS voice
  FROM contacts
  WHERE assignee_id IS NOT NULL AND status IN ('assigned', 'active')
  GROUP BY assignee_id
) l
WHERE u.id = l.assignee_id;
