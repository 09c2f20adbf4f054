"use client";

import Link from "next/link";
import { useState, useTransition } from "react";
import type { ActionResult } from "@/lib/actions/define-action";
import { confirmPendingAction, discardPendingAction } from "@/lib/dicomweb/actions";
import type { PendingView } from "@/lib/dicomweb/pending";

export function PendingRow({ item }: { item: PendingView }) {
  const [pending, startTransition] = useTransition();
  const [message, setMessage] = useState<string | null>(null);
  const report = (result: ActionResult<unknown>, ok: string) =>
    setMessage(result.ok ? ok : [result.error, ...Object.values(result.fieldErrors ?? {}).flat()].join(" "));
  const who = `${item.patientName} (${item.dicomPatientId})`;
  return (
    <tr>
      <td>{item.createdAt.slice(0, 16).replace("T", " ")}</td>
      <td>
        {item.dicomPatientId}
        {item.issuer ? ` (${item.issuer})` : ""}
      </td>
      <td>{item.patientName}</td>
      <td>
        {item.reason}
        {item.candidate && (
          <>
            {" "}
            (Radtrack has <Link href={`/patients/${item.candidate.id}`}>{item.candidate.name}</Link>, MRN{" "}
            {item.candidate.mrn})
          </>
        )}
      </td>
      <td>
        <form
          className="inline-form"
          action={(formData) =>
            startTransition(async () =>
              report(
                await confirmPendingAction({ id: item.id, choice: "existing", mrn: formData.get("mrn") }),
                "Filed under that patient.",
              ),
            )
          }
        >
          <label>
            <span className="sr-only">MRN to file {who} under</span>
            <input name="mrn" placeholder="MRN" defaultValue={item.candidate?.mrn ?? ""} autoComplete="off" />
          </label>
          <button type="submit" disabled={pending}>
            File under MRN
          </button>
        </form>
        <div className="row-actions">
          {!item.candidate && (
            <button
              type="button"
              disabled={pending}
              onClick={() =>
                startTransition(async () =>
                  report(await confirmPendingAction({ id: item.id, choice: "create" }), "Patient created and filed."),
                )
              }
            >
              Create patient {item.dicomPatientId}
            </button>
          )}
          <button
            type="button"
            disabled={pending}
            onClick={() =>
              startTransition(async () => report(await discardPendingAction({ id: item.id }), "Discarded."))
            }
          >
            Discard
          </button>
        </div>
        {message && (
          <p className="muted" role="status">
            {message}
          </p>
        )}
      </td>
    </tr>
  );
}
