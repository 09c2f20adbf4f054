-- Films sent to Radtrack's DICOM C-STORE receiver (lib/dimse), an origin of their own.
ALTER TYPE "ScanOrigin" ADD VALUE IF NOT EXISTS 'dimse';

-- Instances received by C-STORE are recorded (and held for an admin) like polled and pushed ones.
ALTER TABLE "dicomweb_instances" DROP CONSTRAINT "dicomweb_instances_via_check";
ALTER TABLE "dicomweb_instances" ADD CONSTRAINT "dicomweb_instances_via_check" CHECK ("via" IN ('poll', 'stow', 'dimse'));
