"use client";

import { useState, useTransition } from "react";
import type { ActionResult } from "@/lib/actions/define-action";
import { deleteTeamAction, setTeamMemberAction, setTeamPatientAction } from "@/lib/care-teams/actions";

interface TeamView {
  id: string;
  name: string;
  members: { id: string; email: string; name: string }[];
  patients: { id: string; mrn: string; name: string }[];
  patientCount: number;
}

export function TeamPanel({ team }: { team: TeamView }) {
  const [pending, startTransition] = useTransition();
  const [message, setMessage] = useState<string | null>(null);
  const report = (result: ActionResult<unknown>, ok: string) =>
    setMessage(result.ok ? ok : [result.error, ...Object.values(result.fieldErrors ?? {}).flat()].join(" "));
  const run = (call: () => Promise<ActionResult<unknown>>, ok: string) =>
    startTransition(async () => report(await call(), ok));

  return (
    <section className="panel stack" aria-label={`Care team ${team.name}`}>
      <div className="section-head">
        <h2>{team.name}</h2>
        <button
          type="button"
          disabled={pending}
          onClick={() => run(() => deleteTeamAction({ teamId: team.id }), "Team deleted.")}
        >
          Delete team {team.name}
        </button>
      </div>
      <h3>Members</h3>
      {team.members.length === 0 ? (
        <p className="empty">No members.</p>
      ) : (
        <ul>
          {team.members.map((m) => (
            <li key={m.id}>
              {m.name} ({m.email}){" "}
              <button
                type="button"
                disabled={pending}
                onClick={() =>
                  run(
                    () => setTeamMemberAction({ teamId: team.id, email: m.email, member: false }),
                    `${m.email} removed.`,
                  )
                }
              >
                Remove {m.email}
              </button>
            </li>
          ))}
        </ul>
      )}
      <form
        className="inline-form"
        action={(data) =>
          run(() => setTeamMemberAction({ teamId: team.id, email: data.get("email"), member: true }), "Member added.")
        }
      >
        <label>
          <span className="sr-only">E-mail of the user to add to {team.name}</span>
          <input name="email" type="email" placeholder="user@hospital.org" autoComplete="off" />
        </label>
        <button type="submit" disabled={pending}>
          Add member
        </button>
      </form>
      <h3>Patients ({team.patientCount})</h3>
      {team.patients.length === 0 ? (
        <p className="empty">No patients.</p>
      ) : (
        <ul>
          {team.patients.map((p) => (
            <li key={p.id}>
              {p.mrn} {p.name}{" "}
              <button
                type="button"
                disabled={pending}
                onClick={() =>
                  run(() => setTeamPatientAction({ teamId: team.id, mrn: p.mrn, member: false }), `${p.mrn} removed.`)
                }
              >
                Remove {p.mrn}
              </button>
            </li>
          ))}
        </ul>
      )}
      <form
        className="inline-form"
        action={(data) =>
          run(() => setTeamPatientAction({ teamId: team.id, mrn: data.get("mrn"), member: true }), "Patient added.")
        }
      >
        <label>
          <span className="sr-only">MRN of the patient to add to {team.name}</span>
          <input name="mrn" placeholder="MRN" autoComplete="off" />
        </label>
        <button type="submit" disabled={pending}>
          Add patient
        </button>
      </form>
      {message && (
        <p className="row-message" role="status">
          {message}
        </p>
      )}
    </section>
  );
}
