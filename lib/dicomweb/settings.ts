// Where the poller's settings come from: the environment (deployments; the admin page then shows them read-only),
// else what an admin saved on /admin/integration.
import { config as appConfig, parseDicomwebSettings, type DicomwebConfig, type RadtrackConfig } from "@/lib/config";
import type { Db } from "@/lib/db/client";
import type { ReceiveSettings } from "./receive";

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
  };
}
