-- A scan uploaded to the wrong patient, or that is not a radiograph, is withdrawn rather than deleted (issue 11 item
-- 3): it leaves every count, timeline, summary and export, keeps its files and rows until an admin purges it, and can
-- be restored. Who and why are on the row for the page; the audit log keeps the full history (restores included).
ALTER TABLE "scans" ADD COLUMN "withdrawn_at" TIMESTAMPTZ(3);
ALTER TABLE "scans" ADD COLUMN "withdrawn_by" UUID;
ALTER TABLE "scans" ADD COLUMN "withdraw_reason" TEXT;

-- All three or none: a withdrawn scan always says who withdrew it and why.
ALTER TABLE "scans" ADD CONSTRAINT "scans_withdrawal_complete" CHECK (
    ("withdrawn_at" IS NULL AND "withdrawn_by" IS NULL AND "withdraw_reason" IS NULL)
    OR ("withdrawn_at" IS NOT NULL AND "withdrawn_by" IS NOT NULL AND "withdraw_reason" IS NOT NULL)
);

-- The patient page lists a patient's withdrawn films apart; few rows are ever withdrawn, so the index stays small.
CREATE INDEX "scans_withdrawn_idx" ON "scans"("patient_id", "withdrawn_at") WHERE "withdrawn_at" IS NOT NULL;
