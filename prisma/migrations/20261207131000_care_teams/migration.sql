-- Care teams for the optional patient scoping (RADTRACK_PATIENT_SCOPING=care-team): a clinician sees the patients
-- of the teams they belong to. Break-the-glass grants are not stored here: the `patient.break_glass` audit event is
-- the grant (lib/patients/access.ts), so access and its record cannot disagree.
CREATE TABLE "care_teams" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "care_teams_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "care_teams_name_key" ON "care_teams"("name");

CREATE TABLE "care_team_members" (
    "team_id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "added_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "care_team_members_pkey" PRIMARY KEY ("team_id", "user_id"),
    CONSTRAINT "care_team_members_team_id_fkey" FOREIGN KEY ("team_id") REFERENCES "care_teams"("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "care_team_members_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX "care_team_members_user_id_idx" ON "care_team_members"("user_id");

CREATE TABLE "care_team_patients" (
    "team_id" UUID NOT NULL,
    "patient_id" UUID NOT NULL,
    "added_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "care_team_patients_pkey" PRIMARY KEY ("team_id", "patient_id"),
    CONSTRAINT "care_team_patients_team_id_fkey" FOREIGN KEY ("team_id") REFERENCES "care_teams"("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "care_team_patients_patient_id_fkey" FOREIGN KEY ("patient_id") REFERENCES "patients"("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX "care_team_patients_patient_id_idx" ON "care_team_patients"("patient_id");

-- The break-glass lookup: this user's recent grants for this patient.
CREATE INDEX "audit_events_break_glass_idx" ON "audit_events"("actor_id", "patient_id", "at") WHERE "action" = 'patient.break_glass';
