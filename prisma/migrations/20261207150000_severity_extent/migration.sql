-- The severity model's own estimate (geographic extent, 0-8, with its interval) is a property of a scan under one
-- model, written with the vector: it needs no reference library, and re-embedding rewrites it with the vector.
ALTER TABLE "embeddings" ADD COLUMN "extent" DOUBLE PRECISION,
    ADD COLUMN "extent_lo" DOUBLE PRECISION,
    ADD COLUMN "extent_hi" DOUBLE PRECISION;

ALTER TABLE "patient_summaries" ADD COLUMN "latest_extent" DOUBLE PRECISION;
