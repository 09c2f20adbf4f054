-- The corpus' day offset of each reference film (days since onset or admission), so a reference patient's films can
-- be shown in date order. Null for films imported before this column existed and for sources without dates.
ALTER TABLE "reference_labels" ADD COLUMN "offset_days" DOUBLE PRECISION;
