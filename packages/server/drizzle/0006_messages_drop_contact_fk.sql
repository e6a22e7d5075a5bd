-- A message's conversation is no longer checked by a foreign key on every insert: the key's check (a
-- lookup and a row lock per message) cost 9-14 % of PostgreSQL's CPU per stored message and one WAL
-- record in six at 5,000 messages a second (BENCHMARKS.md, twentieth session). The only insert into
-- messages is the writer's group statement, which stores a message only beside its conversation's own
-- compare-and-set update (`where "contactId" in (select id from updated)`): the conversation exists.
ALTER TABLE "messages" DROP CONSTRAINT "messages_contact_id_contacts_id_fk";--> statement-breakpoint
-- The other half of what the key guarded, on the rare side: a conversation that has messages cannot be
-- deleted, nor its id changed (23503, as the key answered). AFTER triggers, not BEFORE: a BEFORE UPDATE
-- row trigger, whatever its column list, makes PostgreSQL lock every updated row first (a WAL record per
-- update); an AFTER UPDATE OF id one is not even queued unless the id is set. So nothing fires on a
-- message's insert or on the writer's update of its conversation.
CREATE FUNCTION parley_contact_keeps_messages() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM messages WHERE contact_id = OLD.id) THEN
    RAISE EXCEPTION 'conversation % still has messages', OLD.id
      USING ERRCODE = 'foreign_key_violation', TABLE = 'contacts';
  END IF;
  RETURN NULL;
END $$;--> statement-breakpoint
CREATE TRIGGER contacts_keep_messages_delete AFTER DELETE ON contacts FOR EACH ROW
  EXECUTE FUNCTION parley_contact_keeps_messages();--> statement-breakpoint
CREATE TRIGGER contacts_keep_messages_id AFTER UPDATE OF id ON contacts FOR EACH ROW
  WHEN (OLD.id IS DISTINCT FROM NEW.id)
  EXECUTE FUNCTION parley_contact_keeps_messages();
