-- CreateEnum
CREATE TYPE "DriftStatus" AS ENUM ('improving', 'stable', 'worsening', 'insufficient');

-- CreateTable
CREATE TABLE "scan_assessments" (
    "scan_id" UUID NOT NULL,
    "model_id" TEXT NOT NULL,
    "library_stamp" TEXT NOT NULL,
    "k" INTEGER NOT NULL,
    "severity_index" DOUBLE PRECISION NOT NULL,
    "region" "ReferenceClass" NOT NULL,
    "mix" JSONB NOT NULL,
    "computed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "scan_assessments_pkey" PRIMARY KEY ("scan_id","model_id")
);

-- CreateTable
CREATE TABLE "patient_summaries" (
    "patient_id" UUID NOT NULL,
    "model_id" TEXT NOT NULL,
    "library_stamp" TEXT NOT NULL,
    "scan_count" INTEGER NOT NULL,
    "last_scan_at" TIMESTAMPTZ(3),
    "latest_index" DOUBLE PRECISION,
    "latest_region" "ReferenceClass",
    "slope_per_week" DOUBLE PRECISION,
    "status" "DriftStatus" NOT NULL,
    "alert_count" INTEGER NOT NULL DEFAULT 0,
    "latest_alert" BOOLEAN NOT NULL DEFAULT false,
    "computed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "patient_summaries_pkey" PRIMARY KEY ("patient_id")
);

-- CreateIndex
CREATE INDEX "patient_summaries_latest_index_idx" ON "patient_summaries"("latest_index");

-- CreateIndex
CREATE INDEX "patient_summaries_status_idx" ON "patient_summaries"("status");

-- AddForeignKey
ALTER TABLE "scan_assessments" ADD CONSTRAINT "scan_assessments_scan_id_fkey" FOREIGN KEY ("scan_id") REFERENCES "scans"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "scan_assessments" ADD CONSTRAINT "scan_assessments_model_id_fkey" FOREIGN KEY ("model_id") REFERENCES "models"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "patient_summaries" ADD CONSTRAINT "patient_summaries_patient_id_fkey" FOREIGN KEY ("patient_id") REFERENCES "patients"("id") ON DELETE CASCADE ON UPDATE CASCADE;
