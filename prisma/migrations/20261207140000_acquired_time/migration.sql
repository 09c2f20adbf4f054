-- The time of day a film was taken, apart from its day: several films of one day get an order on the timeline, and
-- a film whose time nobody knows is not placed at an invented hour.
ALTER TABLE "scans" ADD COLUMN "acquired_time" TIME(3);

-- Scans stored before this column kept the upload's clock time inside acquired_at (uploads without a date): that
-- time moves to acquired_time and acquired_at becomes the day, as for every other scan.
UPDATE "scans"
SET "acquired_time" = ("acquired_at" AT TIME ZONE 'UTC')::time(3),
    "acquired_at" = date_trunc('day', "acquired_at" AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
WHERE "acquired_at" IS NOT NULL
  AND "acquired_at" <> date_trunc('day', "acquired_at" AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';

-- Dates that the acquisition date rule refuses today (lib/scans/acquisition-date.ts: not before 1895, not in the
-- future) may have come in through DICOM headers before the rule. Such a film would stay a patient's "latest" for
-- ever; it is placed at its upload instead, which is where the timeline showed films without a date.
UPDATE "scans"
SET "acquired_at" = date_trunc('day', "created_at" AT TIME ZONE 'UTC') AT TIME ZONE 'UTC',
    "acquired_time" = ("created_at" AT TIME ZONE 'UTC')::time(3)
WHERE "acquired_at" < TIMESTAMPTZ '1895-01-01 00:00:00+00'
   OR "acquired_at" > now() + INTERVAL '1 day';

DROP INDEX "scans_patient_id_acquired_at_idx";
CREATE INDEX "scans_patient_id_acquired_at_acquired_time_idx" ON "scans"("patient_id", "acquired_at", "acquired_time");
