"use client";

import { useState, useTransition } from "react";
import { relabelReferenceAction } from "@/lib/reference/actions";
import { REFERENCE_CLASSES, type ReferenceClass } from "@/lib/domain";

export function RelabelForm({
  scanId,
  sourceId,
  current,
}: {
  scanId: string;
  sourceId: string;
  current: ReferenceClass;
}) {
  const [value, setValue] = useState<ReferenceClass>(current);
  const [saved, setSaved] = useState<ReferenceClass>(current);
  const [message, setMessage] = useState<{ text: string; error: boolean } | null>(null);
  const [pending, startTransition] = useTransition();
  return (
    <form
      className="row-actions"
      onSubmit={(event) => {
        event.preventDefault();
        if (value === saved) return;
        if (!window.confirm(`Change ${sourceId} from ${saved} to ${value}? Every patient's severity is recomputed.`)) {
          setValue(saved);
          return;
        }
        startTransition(async () => {
          const result = await relabelReferenceAction({ scanId, class: value });
          if (result.ok) {
            setSaved(result.data.class);
            setMessage({ text: "Saved.", error: false });
          } else {
            setValue(saved);
            setMessage({ text: result.error, error: true });
          }
        });
      }}
    >
      <label>
        <span className="sr-only">Class of {sourceId}</span>
        <select
          className={`class-${value}`}
          value={value}
          onChange={(e) => setValue(e.target.value as ReferenceClass)}
          disabled={pending}
        >
          {REFERENCE_CLASSES.map((c) => (
            <option key={c} value={c}>
              {c}
            </option>
          ))}
        </select>
      </label>
      <button type="submit" disabled={pending || value === saved}>
        Save
      </button>
      {message && (
        <span role={message.error ? "alert" : "status"} className={message.error ? "form-error" : "muted"}>
          {message.text}
        </span>
      )}
    </form>
  );
}
