-- Secondary indexes of documents (store.Documents.InsertIndexed and
-- ListIndex). A document carries at most four index entries (MaxIndexEntries),
-- held in four fixed slots on its own row: slot n is ixn_name (the index)
-- and ixn_key (the index key), both NULL when the slot is unused. So an
-- indexed insert is one row written by one statement, Update (which does not
-- touch the slots) keeps the entries, Delete removes them with the row, and
-- a rolled-back transaction leaves none. Plain Insert leaves every slot NULL
-- and touches none of the partial indexes below.
--
-- Each slot has a partial btree index on (collection, name, key, document
-- key), in byte order (C), so a listing of one index is one ordered index
-- scan per slot, merged.
ALTER TABLE {{schema}}.documents
    ADD COLUMN ix1_name text COLLATE "C",
    ADD COLUMN ix1_key  text COLLATE "C",
    ADD COLUMN ix2_name text COLLATE "C",
    ADD COLUMN ix2_key  text COLLATE "C",
    ADD COLUMN ix3_name text COLLATE "C",
    ADD COLUMN ix3_key  text COLLATE "C",
    ADD COLUMN ix4_name text COLLATE "C",
    ADD COLUMN ix4_key  text COLLATE "C",
    ADD CONSTRAINT documents_ix_pairs CHECK (
        (ix1_name IS NULL) = (ix1_key IS NULL) AND (ix2_name IS NULL) = (ix2_key IS NULL) AND
        (ix3_name IS NULL) = (ix3_key IS NULL) AND (ix4_name IS NULL) = (ix4_key IS NULL));

CREATE INDEX documents_ix1 ON {{schema}}.documents (collection, ix1_name, ix1_key, key) WHERE ix1_name IS NOT NULL;
CREATE INDEX documents_ix2 ON {{schema}}.documents (collection, ix2_name, ix2_key, key) WHERE ix2_name IS NOT NULL;
CREATE INDEX documents_ix3 ON {{schema}}.documents (collection, ix3_name, ix3_key, key) WHERE ix3_name IS NOT NULL;
CREATE INDEX documents_ix4 ON {{schema}}.documents (collection, ix4_name, ix4_key, key) WHERE ix4_name IS NOT NULL;
