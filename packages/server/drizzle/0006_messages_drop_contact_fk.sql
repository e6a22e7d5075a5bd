-- A message's conversation is no longer checked by a foreign key. The only insert into messages is the
-- writer's group statement, which stores a message only into a conversation the same statement has
-- just updated (`where "contactId" in (select id from updated)`), and nothing deletes conversations.
-- The key's check (a lookup and a row lock per message) cost 9-14 % of PostgreSQL's CPU per stored
-- message and one WAL record in six at 5,000 messages a second (BENCHMARKS.md, twentieth session).
ALTER TABLE "messages" DROP CONSTRAINT "messages_contact_id_contacts_id_fk";
