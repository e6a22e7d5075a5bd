-- Every message updates its conversation's row (last seq, preview, time). With full pages the new
-- row version goes to another page and all five indexes of contacts get an entry for it (42 % of
-- the updates at 5,000 msg/s); room left on each page keeps them HOT updates, which touch no index.
-- Pages written from now on keep the room; `VACUUM FULL contacts` gives it to the existing ones.
ALTER TABLE "contacts" SET (fillfactor = 80);
