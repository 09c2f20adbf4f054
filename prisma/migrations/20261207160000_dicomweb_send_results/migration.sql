-- Results back to the PACS as DICOM SR (lib/results): off unless an admin turns it on.
ALTER TABLE "dicomweb_settings" ADD COLUMN "send_results" BOOLEAN NOT NULL DEFAULT false;
