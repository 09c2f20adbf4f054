-- The modality and SOP class of each instance from a PACS, for the FHIR ImagingStudy of its scan.
ALTER TABLE "dicomweb_instances" ADD COLUMN "sop_class_uid" TEXT;
ALTER TABLE "dicomweb_instances" ADD COLUMN "modality" TEXT;
