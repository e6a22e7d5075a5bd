-- No statement reads messages by (contact_id, created_at): a conversation's messages are read in seq
-- order, which follows the time. Keeping that index up to date was a quarter of PostgreSQL's CPU time
-- per stored message (the writer's group statement, 50 messages: 55-60 µs a message with it, 39-43
-- without; BENCHMARKS.md).
DROP INDEX "messages_contact_created_idx";
