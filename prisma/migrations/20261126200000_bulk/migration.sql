-- Bulk upload (issue #5). A bulk job is a row of "jobs" (type 'bulk-upload'); a draft is an upload that was checked
-- but not yet started by the admin. Each file (or manifest row without a file) is one "bulk_items" row: the per-file
-- report, and the worker's to-do list, so that a restarted server resumes where the last one stopped.

-- AlterEnum (a new value cannot be used in the transaction that adds it; nothing here uses it)
ALTER TYPE "JobStatus" ADD VALUE 'draft' BEFORE 'queued';

-- CreateEnum
CREATE TYPE "BulkItemStatus" AS ENUM ('refused', 'needs_patient', 'ready', 'stored', 'duplicate', 'failed', 'cancelled');

-- AlterTable: the worker's lease. One worker at a time processes a job; a lease that is not renewed (the worker's
-- process died) lets another worker take the job over.
ALTER TABLE "jobs" ADD COLUMN "lease_owner" TEXT,
ADD COLUMN "lease_until" TIMESTAMPTZ(3);

-- CreateTable
CREATE TABLE "bulk_items" (
    "id" UUID NOT NULL,
    "job_id" UUID NOT NULL,
    "seq" INTEGER NOT NULL,
    "file" TEXT NOT NULL,
    "bytes" INTEGER NOT NULL DEFAULT 0,
    "sha256" TEXT,
    "format" TEXT,
    "mrn" TEXT,
    -- From the DICOM PatientName, to name a patient the admin agrees to create; cleared once the job is submitted.
    "patient_name" TEXT,
    "patient_id" UUID,
    "acquired_at" DATE,
    "view" TEXT,
    "status" "BulkItemStatus" NOT NULL,
    "reason" TEXT,
    "scan_id" UUID,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "bulk_items_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "bulk_items_job_id_seq_key" ON "bulk_items"("job_id", "seq");

-- CreateIndex
CREATE INDEX "bulk_items_job_id_status_seq_idx" ON "bulk_items"("job_id", "status", "seq");

-- CreateIndex
CREATE INDEX "jobs_type_status_idx" ON "jobs"("type", "status");

-- AddForeignKey
ALTER TABLE "bulk_items" ADD CONSTRAINT "bulk_items_job_id_fkey" FOREIGN KEY ("job_id") REFERENCES "jobs"("id") ON DELETE CASCADE ON UPDATE CASCADE;
