-- Several workers share one bulk job: each claims a batch of its ready files (lib/bulk/claims.ts) instead of the
-- whole job, so a job goes as fast as the workers together, and the files of a worker that dies are taken over
-- when its claim runs out (or at once on its own host, where the dead process can be seen).
ALTER TABLE "bulk_items" ADD COLUMN "claimed_by" TEXT;
ALTER TABLE "bulk_items" ADD COLUMN "claimed_until" TIMESTAMPTZ(3);
