-- Hospital integration (issue #14): instances from a PACS over DICOMweb (polled) or STOW-RS (pushed), the poller's
-- cursor and state, the "to confirm" list of instances whose patient an admin must decide, and confirmed links.
ALTER TYPE "ScanOrigin" ADD VALUE IF NOT EXISTS 'dicomweb';

CREATE TYPE "DicomwebOutcome" AS ENUM ('ingested', 'duplicate', 'refused', 'pending', 'failed');

CREATE TABLE "dicomweb_instances" (
    "sop_instance_uid" TEXT NOT NULL,
    "study_uid" TEXT NOT NULL,
    "series_uid" TEXT NOT NULL,
    "via" TEXT NOT NULL,
    "remote" TEXT NOT NULL,
    "outcome" "DicomwebOutcome" NOT NULL,
    "reason" TEXT,
    "scan_id" UUID,
    "patient_id" UUID,
    "sha256" TEXT,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "dicomweb_instances_pkey" PRIMARY KEY ("sop_instance_uid"),
    CONSTRAINT "dicomweb_instances_via_check" CHECK ("via" IN ('poll', 'stow'))
);
CREATE INDEX "dicomweb_instances_outcome_at_idx" ON "dicomweb_instances"("outcome", "at");
CREATE INDEX "dicomweb_instances_series_uid_idx" ON "dicomweb_instances"("series_uid");

CREATE TABLE "dicomweb_series" (
    "series_uid" TEXT NOT NULL,
    "study_uid" TEXT NOT NULL,
    "instance_count" INTEGER NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "dicomweb_series_pkey" PRIMARY KEY ("series_uid")
);

CREATE TABLE "dicomweb_poll_state" (
    "source" TEXT NOT NULL,
    "last_poll_at" TIMESTAMPTZ(3),
    "last_success_at" TIMESTAMPTZ(3),
    "last_error" TEXT,
    "failures" INTEGER NOT NULL DEFAULT 0,
    "next_poll_at" TIMESTAMPTZ(3),
    "seen" INTEGER NOT NULL DEFAULT 0,
    "ingested" INTEGER NOT NULL DEFAULT 0,
    "refused" INTEGER NOT NULL DEFAULT 0,
    "pending" INTEGER NOT NULL DEFAULT 0,
    "failed" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "dicomweb_poll_state_pkey" PRIMARY KEY ("source")
);

CREATE TABLE "dicomweb_pending" (
    "id" UUID NOT NULL,
    "sop_instance_uid" TEXT NOT NULL,
    "dicom_patient_id" TEXT NOT NULL,
    "issuer" TEXT NOT NULL DEFAULT '',
    "patient_name" TEXT NOT NULL,
    "sex" TEXT NOT NULL DEFAULT '',
    "birth_year" INTEGER,
    "reason" TEXT NOT NULL,
    "candidate_id" UUID,
    "bytes" BYTEA NOT NULL,
    "via" TEXT NOT NULL,
    "remote" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "dicomweb_pending_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "dicomweb_pending_sop_instance_uid_key" ON "dicomweb_pending"("sop_instance_uid");
CREATE INDEX "dicomweb_pending_created_at_idx" ON "dicomweb_pending"("created_at");

CREATE TABLE "dicom_patient_links" (
    "issuer" TEXT NOT NULL DEFAULT '',
    "dicom_patient_id" TEXT NOT NULL,
    "patient_id" UUID NOT NULL,
    "accepted_name" TEXT NOT NULL DEFAULT '',
    "created_by" UUID,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "dicom_patient_links_pkey" PRIMARY KEY ("issuer", "dicom_patient_id"),
    CONSTRAINT "dicom_patient_links_patient_id_fkey" FOREIGN KEY ("patient_id") REFERENCES "patients"("id") ON DELETE CASCADE
);
CREATE INDEX "dicom_patient_links_patient_id_idx" ON "dicom_patient_links"("patient_id");

CREATE TABLE "dicomweb_settings" (
    "id" TEXT NOT NULL DEFAULT 'default',
    "enabled" BOOLEAN NOT NULL DEFAULT false,
    "url" TEXT NOT NULL,
    "username" TEXT NOT NULL DEFAULT '',
    "password" TEXT NOT NULL DEFAULT '',
    "token" TEXT NOT NULL DEFAULT '',
    "poll_seconds" INTEGER NOT NULL DEFAULT 60,
    "modalities" TEXT NOT NULL DEFAULT 'CR,DX',
    "ae_titles" TEXT NOT NULL DEFAULT '',
    "institutions" TEXT NOT NULL DEFAULT '',
    "updated_by" UUID,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "dicomweb_settings_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "dicomweb_settings_one_row" CHECK ("id" = 'default')
);
