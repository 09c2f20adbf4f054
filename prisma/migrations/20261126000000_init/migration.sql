-- CreateExtension
CREATE EXTENSION IF NOT EXISTS "vector";

-- CreateEnum
CREATE TYPE "Role" AS ENUM ('admin', 'clinician');

-- CreateEnum
CREATE TYPE "ScanOrigin" AS ENUM ('upload', 'bulk', 'dicom', 'reference');

-- CreateEnum
CREATE TYPE "ReferenceClass" AS ENUM ('healthy', 'infected', 'severe');

-- CreateEnum
CREATE TYPE "JobStatus" AS ENUM ('queued', 'running', 'succeeded', 'failed', 'cancelled');

-- CreateTable
CREATE TABLE "users" (
    "id" UUID NOT NULL,
    "email" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "role" "Role" NOT NULL,
    "password_hash" TEXT NOT NULL,
    "disabled" BOOLEAN NOT NULL DEFAULT false,
    "session_version" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    "last_login_at" TIMESTAMPTZ(3),

    CONSTRAINT "users_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "patients" (
    "id" UUID NOT NULL,
    "mrn" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "sex" TEXT NOT NULL,
    "birth_year" INTEGER,
    "notes" TEXT NOT NULL DEFAULT '',
    "is_demo" BOOLEAN NOT NULL DEFAULT false,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "patients_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "scans" (
    "id" UUID NOT NULL,
    "patient_id" UUID,
    "acquired_at" TIMESTAMPTZ(3),
    "view" TEXT,
    "sha256" TEXT NOT NULL,
    "storage_key" TEXT NOT NULL,
    "width" INTEGER NOT NULL,
    "height" INTEGER NOT NULL,
    "origin" "ScanOrigin" NOT NULL,
    "uploaded_by" UUID,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "scans_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "models" (
    "id" TEXT NOT NULL,
    "sha256" TEXT NOT NULL,
    "dims" INTEGER NOT NULL,
    "card" JSONB NOT NULL,
    "active" BOOLEAN NOT NULL DEFAULT false,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "models_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "embeddings" (
    "id" UUID NOT NULL,
    "scan_id" UUID NOT NULL,
    "model_id" TEXT NOT NULL,
    "vector" vector NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "embeddings_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "reference_labels" (
    "scan_id" UUID NOT NULL,
    "class" "ReferenceClass" NOT NULL,
    "geographic_mean" DOUBLE PRECISION,
    "opacity_mean" DOUBLE PRECISION,
    "source" TEXT NOT NULL,
    "source_id" TEXT NOT NULL,
    "source_patient" TEXT,
    "age_group" TEXT,
    "finding" TEXT,
    "license" TEXT,

    CONSTRAINT "reference_labels_pkey" PRIMARY KEY ("scan_id")
);

-- CreateTable
CREATE TABLE "audit_events" (
    "id" BIGSERIAL NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "actor_id" UUID,
    "actor_email" TEXT,
    "action" TEXT NOT NULL,
    "target_type" TEXT,
    "target_id" TEXT,
    "patient_id" UUID,
    "ip" TEXT,
    "details" JSONB NOT NULL DEFAULT '{}',

    CONSTRAINT "audit_events_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "jobs" (
    "id" UUID NOT NULL,
    "type" TEXT NOT NULL,
    "status" "JobStatus" NOT NULL DEFAULT 'queued',
    "payload" JSONB NOT NULL DEFAULT '{}',
    "total" INTEGER NOT NULL DEFAULT 0,
    "processed" INTEGER NOT NULL DEFAULT 0,
    "failed" INTEGER NOT NULL DEFAULT 0,
    "error" TEXT,
    "report" JSONB,
    "created_by" UUID,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "started_at" TIMESTAMPTZ(3),
    "finished_at" TIMESTAMPTZ(3),

    CONSTRAINT "jobs_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "users_email_key" ON "users"("email");

-- CreateIndex
CREATE UNIQUE INDEX "patients_mrn_key" ON "patients"("mrn");

-- CreateIndex
CREATE INDEX "scans_patient_id_acquired_at_idx" ON "scans"("patient_id", "acquired_at");

-- CreateIndex
CREATE INDEX "scans_sha256_idx" ON "scans"("sha256");

-- CreateIndex
CREATE UNIQUE INDEX "embeddings_scan_id_model_id_key" ON "embeddings"("scan_id", "model_id");

-- CreateIndex
CREATE INDEX "reference_labels_class_idx" ON "reference_labels"("class");

-- CreateIndex
CREATE UNIQUE INDEX "reference_labels_source_source_id_key" ON "reference_labels"("source", "source_id");

-- CreateIndex
CREATE INDEX "audit_events_at_idx" ON "audit_events"("at");

-- CreateIndex
CREATE INDEX "audit_events_action_at_idx" ON "audit_events"("action", "at");

-- CreateIndex
CREATE INDEX "audit_events_patient_id_at_idx" ON "audit_events"("patient_id", "at");

-- CreateIndex
CREATE INDEX "audit_events_actor_id_at_idx" ON "audit_events"("actor_id", "at");

-- CreateIndex
CREATE INDEX "jobs_status_created_at_idx" ON "jobs"("status", "created_at");

-- AddForeignKey
ALTER TABLE "scans" ADD CONSTRAINT "scans_patient_id_fkey" FOREIGN KEY ("patient_id") REFERENCES "patients"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "embeddings" ADD CONSTRAINT "embeddings_scan_id_fkey" FOREIGN KEY ("scan_id") REFERENCES "scans"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "embeddings" ADD CONSTRAINT "embeddings_model_id_fkey" FOREIGN KEY ("model_id") REFERENCES "models"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "reference_labels" ADD CONSTRAINT "reference_labels_scan_id_fkey" FOREIGN KEY ("scan_id") REFERENCES "scans"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Hand-written below: what Prisma's schema language cannot express.

-- A patient cannot hold the same image twice; the reference library holds each image once.
CREATE UNIQUE INDEX "scans_patient_sha256_key" ON "scans"("patient_id", "sha256") WHERE "patient_id" IS NOT NULL;
CREATE UNIQUE INDEX "scans_reference_sha256_key" ON "scans"("sha256") WHERE "origin" = 'reference';

-- Case-insensitive unique e-mail: logins compare lower-cased addresses.
CREATE UNIQUE INDEX "users_email_lower_key" ON "users"(lower("email"));

-- Vectors of different models never share a search: one partial HNSW index per model, on the column cast to that
-- model's dimension (an untyped `vector` column cannot be indexed). The built-in ImageNet MobileNetV2 (1280-d)
-- is the first; lib/db/vector-sql.ts creates the same kind of index when another model is registered.
CREATE INDEX "embeddings_hnsw_mobilenet_v2_imagenet" ON "embeddings"
    USING hnsw (("vector"::vector(1280)) vector_cosine_ops) WITH (m = 16, ef_construction = 64)
    WHERE "model_id" = 'mobilenet_v2_imagenet@1';

-- The audit log is append-only.
CREATE FUNCTION "audit_events_append_only"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only';
END;
$$;
CREATE TRIGGER "audit_events_no_update" BEFORE UPDATE OR DELETE ON "audit_events"
    FOR EACH ROW EXECUTE FUNCTION "audit_events_append_only"();
