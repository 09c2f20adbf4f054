-- The reference class of each vector's scan, copied onto "embeddings" so that a class filter can have its own
-- partial HNSW index (a partial index may only name its own table's columns): one per (model, class), created by
-- lib/db/vector-sql.ts next to the model's index. NULL: the scan is not a reference scan (a patient's film). The
-- btree index lets a small class, which is searched exactly, be read without the rest of the table.

-- AlterTable
ALTER TABLE "embeddings" ADD COLUMN "reference_class" "ReferenceClass";

-- CreateIndex
CREATE INDEX "embeddings_model_id_reference_class_idx" ON "embeddings"("model_id", "reference_class");

-- Hand-written below: the copy is kept by triggers, not by the application. Labels are written by the corpus import,
-- the benchmarks, tests and (later) the reference-library screens, through Prisma and through raw SQL; vectors by
-- the import, uploads, re-embedding and the binary bulk path. A trigger covers every one of them, including writers
-- that do not exist yet, in the same transaction as the write, so no search can see a vector under a stale class.

-- A vector takes its class from the label of its scan, whatever the writer put in the column.
CREATE FUNCTION "embeddings_reference_class"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW."reference_class" := (SELECT r."class" FROM "reference_labels" r WHERE r."scan_id" = NEW."scan_id");
    RETURN NEW;
END;
$$;

CREATE TRIGGER "embeddings_reference_class_set" BEFORE INSERT OR UPDATE OF "scan_id", "reference_class"
    ON "embeddings" FOR EACH ROW EXECUTE FUNCTION "embeddings_reference_class"();

-- A label that is created, changed or removed re-derives the class of every vector of its scan (one per model).
-- Rows that already hold the right class are not touched: an UPDATE re-inserts the row into every HNSW index.
CREATE FUNCTION "reference_labels_sync_embeddings"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        UPDATE "embeddings" SET "reference_class" = NULL
        WHERE "scan_id" = OLD."scan_id" AND "reference_class" IS NOT NULL;
        RETURN NULL;
    END IF;
    IF TG_OP = 'UPDATE' AND OLD."scan_id" <> NEW."scan_id" THEN
        UPDATE "embeddings" SET "reference_class" = NULL
        WHERE "scan_id" = OLD."scan_id" AND "reference_class" IS NOT NULL;
    END IF;
    UPDATE "embeddings" SET "reference_class" = NEW."class"
    WHERE "scan_id" = NEW."scan_id" AND "reference_class" IS DISTINCT FROM NEW."class";
    RETURN NULL;
END;
$$;

CREATE TRIGGER "reference_labels_sync_embeddings" AFTER INSERT OR UPDATE OF "scan_id", "class" OR DELETE
    ON "reference_labels" FOR EACH ROW EXECUTE FUNCTION "reference_labels_sync_embeddings"();

-- Vectors stored before this migration.
UPDATE "embeddings" e SET "reference_class" = r."class"
FROM "reference_labels" r
WHERE r."scan_id" = e."scan_id";
