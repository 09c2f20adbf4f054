"use client";

import { FormMessage, TextField } from "@/components/form-fields";
import { useFormAction } from "@/components/use-form-action";
import { saveDicomwebSettingsAction } from "@/lib/dicomweb/actions";
import type { SettingsView } from "@/lib/dicomweb/settings";

export function SettingsForm({ settings }: { settings: SettingsView }) {
  const { state, onSubmit, pending, fieldErrors: errors, error } = useFormAction(saveDicomwebSettingsAction);
  const readOnly = settings.source === "env";
  return (
    <form onSubmit={onSubmit} className="stack narrow" noValidate aria-label="DICOMweb polling settings">
      <fieldset disabled={readOnly || pending} className="stack">
        <label className="field">
          <span>
            <input type="checkbox" name="enabled" defaultChecked={settings.enabled} /> Poll this PACS
          </span>
        </label>
        <TextField
          label="DICOMweb root URL"
          name="url"
          type="url"
          defaultValue={settings.url}
          placeholder="http://orthanc:8042/dicom-web"
          errors={errors}
        />
        <TextField label="User name (HTTP basic)" name="username" defaultValue={settings.username} errors={errors} />
        <TextField
          label={`Password${settings.hasPassword ? " (stored; leave empty to keep it)" : ""}`}
          name="password"
          type="password"
          autoComplete="new-password"
          errors={errors}
        />
        <TextField
          label={`Bearer token, instead of a user${settings.hasToken ? " (stored; leave empty to keep it)" : ""}`}
          name="token"
          type="password"
          autoComplete="off"
          errors={errors}
        />
        {!readOnly && (settings.hasPassword || settings.hasToken) && (
          <label className="field">
            <span>
              <input type="checkbox" name="clearSecrets" /> Forget the stored password and token
            </span>
          </label>
        )}
        <TextField
          label="Poll every (seconds)"
          name="pollSeconds"
          type="number"
          min={5}
          defaultValue={settings.pollSeconds}
          errors={errors}
        />
        <TextField label="Modalities (CR, DX)" name="modalities" defaultValue={settings.modalities} errors={errors} />
        <TextField
          label="Only from these AE titles (comma-separated; empty: any)"
          name="aeTitles"
          defaultValue={settings.aeTitles}
          errors={errors}
        />
        <TextField
          label="Only from these institutions (comma-separated; empty: any)"
          name="institutions"
          defaultValue={settings.institutions}
          errors={errors}
        />
        <label className="field">
          <span>
            <input type="checkbox" name="sendResults" defaultChecked={settings.sendResults} /> Send each assessed
            film&apos;s result back to this PACS (DICOM SR, decision support)
          </span>
        </label>
      </fieldset>
      {!readOnly && (
        <>
          <FormMessage error={error} />
          {state?.ok && (
            <p className="form-ok" role="status">
              Settings saved.
            </p>
          )}
          <button type="submit" className="primary" disabled={pending}>
            {pending ? "Saving…" : "Save settings"}
          </button>
        </>
      )}
    </form>
  );
}
