import type { Metadata } from "next";
import { requirePageActor } from "@/lib/auth/current-actor";
import { listTeams } from "@/lib/care-teams/service";
import { config } from "@/lib/config";
import { db } from "@/lib/db/client";
import { CreateTeamForm } from "./create-team-form";
import { TeamPanel } from "./team-panel";

export const metadata: Metadata = { title: "Care teams" };

export default async function TeamsPage() {
  await requirePageActor(["admin"]);
  const teams = await listTeams(db());
  const scoped = config().patientScoping === "care-team";
  return (
    <section className="stack">
      <h1>Care teams</h1>
      <p className="muted">
        {scoped
          ? "Patient scoping is on (RADTRACK_PATIENT_SCOPING=care-team): a clinician sees the patients of their teams; any other patient opens only with a reason, which is audited."
          : "Patient scoping is off: every clinician sees every patient. Teams set up here take effect when the server runs with RADTRACK_PATIENT_SCOPING=care-team."}
      </p>
      {teams.length === 0 ? (
        <p className="empty">No care teams yet.</p>
      ) : (
        teams.map((team) => (
          <TeamPanel
            key={team.id}
            team={{
              id: team.id,
              name: team.name,
              members: team.members.map((m) => m.user),
              patients: team.patients.map((p) => p.patient),
              patientCount: team._count.patients,
            }}
          />
        ))
      )}
      <h2>Create a team</h2>
      <CreateTeamForm />
    </section>
  );
}
