// Where the poller's settings come from: the environment (deployments; the admin page then shows them read-only),
// else what an admin saved on /admin/integration.
import { config as appConfig, parseDicomwebSettings, type DicomwebConfig, type RadtrackConfig } from "@/lib/config";
import type { ActionContext } from "@/lib/actions/define-action";
import { recordAudit } from "@/lib/audit/audit-log";
import type { Db } from "@/lib/db/client";
import { UserFacingError } from "@/lib/errors";
import type { ReceiveSettings } from "./receive";
import type { SaveSettingsInput } from "./schemas";

export type SettingsSource = "env" | "page" | "none";

export interface ActiveDicomweb {
  source: SettingsSource;
  /** Undefined when no PACS is configured, or the page's settings are disabled. */
  config: DicomwebConfig | undefined;
  /** Why the page's saved settings cannot be used (they were valid when saved; the rules may have changed). */
  error?: string;
}

export async function activeDicomweb(db: Db, cfg: RadtrackConfig = appConfig()): Promise<ActiveDicomweb> {
  if (cfg.dicomweb) return { source: "env", config: cfg.dicomweb };
  const row = await db.dicomwebSettings.findUnique({ where: { id: "default" } });
  if (!row) return { source: "none", config: undefined };
  if (!row.enabled) return { source: "page", config: undefined };
  try {
    return {
      source: "page",
      config: parseDicomwebSettings({
        url: row.url,
        username: row.username,
        password: row.password,
        token: row.token,
        pollSeconds: String(row.pollSeconds),
        modalities: row.modalities,
        aeTitles: row.aeTitles,
        institutions: row.institutions,
        sendResults: row.sendResults,
      }),
    };
  } catch (error) {
    return { source: "page", config: undefined, error: (error as Error).message };
  }
}

/** What the receive path needs besides the PACS: the filters and the patient-matching rules. */
export function receiveSettings(
  dicomweb: DicomwebConfig | undefined,
  cfg: RadtrackConfig = appConfig(),
): ReceiveSettings {
  return {
    filters: {
      modalities: dicomweb?.modalities ?? ["CR", "DX"],
      aeTitles: dicomweb?.aeTitles ?? [],
      institutions: dicomweb?.institutions ?? [],
    },
    createPatients: cfg.pacsCreatePatients,
    issuer: cfg.pacsIssuer,
    careTeam: cfg.pacsCareTeam,
  };
}

export interface SettingsView {
  source: SettingsSource;
  enabled: boolean;
  url: string;
  username: string;
  /** Whether a password / token is stored; they are never shown back. */
  hasPassword: boolean;
  hasToken: boolean;
  pollSeconds: number;
  modalities: string;
  aeTitles: string;
  institutions: string;
  sendResults: boolean;
}

/** What the integration page shows: the environment's settings (read-only, secrets hidden) or the saved ones. */
export async function settingsView(db: Db, cfg: RadtrackConfig = appConfig()): Promise<SettingsView> {
  if (cfg.dicomweb) {
    const d = cfg.dicomweb;
    return {
      source: "env",
      enabled: true,
      url: d.url,
      username: d.auth.kind === "basic" ? d.auth.username : "",
      hasPassword: d.auth.kind === "basic",
      hasToken: d.auth.kind === "bearer",
      pollSeconds: d.pollSeconds,
      modalities: d.modalities.join(","),
      aeTitles: d.aeTitles.join(","),
      institutions: d.institutions.join(","),
      sendResults: d.sendResults,
    };
  }
  const row = await db.dicomwebSettings.findUnique({ where: { id: "default" } });
  return {
    source: row ? "page" : "none",
    enabled: row?.enabled ?? false,
    url: row?.url ?? "",
    username: row?.username ?? "",
    hasPassword: Boolean(row?.password),
    hasToken: Boolean(row?.token),
    pollSeconds: row?.pollSeconds ?? 60,
    modalities: row?.modalities ?? "CR,DX",
    aeTitles: row?.aeTitles ?? "",
    institutions: row?.institutions ?? "",
    sendResults: row?.sendResults ?? false,
  };
}

export async function saveSettings(
  db: Db,
  input: SaveSettingsInput,
  ctx: ActionContext,
  cfg: RadtrackConfig = appConfig(),
): Promise<void> {
  if (cfg.dicomweb) {
    throw new UserFacingError(
      "The PACS settings come from the environment (RADTRACK_DICOMWEB_URL): change them there.",
    );
  }
  const before = await db.dicomwebSettings.findUnique({ where: { id: "default" } });
  const password = input.clearSecrets ? "" : input.password || before?.password || "";
  const token = input.clearSecrets ? "" : input.token || before?.token || "";
  const data = {
    enabled: input.enabled,
    url: input.url,
    username: input.username,
    password: input.username ? password : "",
    token,
    pollSeconds: input.pollSeconds,
    modalities: input.modalities || "CR,DX",
    aeTitles: input.aeTitles,
    institutions: input.institutions,
    sendResults: input.sendResults,
    updatedBy: ctx.actor.id,
  };
  try {
    parseDicomwebSettings({ ...data, pollSeconds: String(data.pollSeconds) });
  } catch (error) {
    throw new UserFacingError(
      (error as Error).message.replace(/RADTRACK_DICOMWEB_(\w+)/g, (_m, w: string) => w.toLowerCase()),
    );
  }
  await db.$transaction(async (tx) => {
    await tx.dicomwebSettings.upsert({ where: { id: "default" }, create: { id: "default", ...data }, update: data });
    await recordAudit(tx, ctx, {
      action: "dicomweb.settings_changed",
      // Never the secrets.
      details: {
        enabled: data.enabled,
        url: data.url,
        auth: data.token ? "bearer" : data.username ? "basic" : "none",
        pollSeconds: data.pollSeconds,
        sendResults: data.sendResults,
      },
    });
  });
}
