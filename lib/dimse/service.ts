// Wires the C-STORE receiver to the receive path: each instance is received like a polled or pushed one, with the
// DICOMweb settings' filters and the patient-matching rules, origin "dimse" and the sender's AE title and address
// as the remote system. One receiver per process, started by the server or a worker when RADTRACK_DIMSE_PORT is set.
import type { PublicActionContext } from "@/lib/actions/define-action";
import { config as appConfig, uploadLimits, type RadtrackConfig } from "@/lib/config";
import { db as defaultDb, type Db } from "@/lib/db/client";
import { receiveInstances } from "@/lib/dicomweb/receive";
import { activeDicomweb, receiveSettings } from "@/lib/dicomweb/settings";
import { startDimseReceiver, type DimseReceiver, type InstanceHandler } from "./receiver";

const SYSTEM: PublicActionContext = { actor: null, ip: null };

export function receiveOverDimse(db: Db, cfg: RadtrackConfig = appConfig()): InstanceHandler {
  return async (bytes, peer) => {
    const settings = receiveSettings((await activeDicomweb(db, cfg)).config, cfg);
    const origin = { via: "dimse" as const, remote: `dimse:${peer.callingAeTitle}@${peer.address}` };
    const [outcome] = await receiveInstances(db, [bytes], origin, settings, SYSTEM);
    // Stored, already there, or waiting for an admin: the sender's job is done. A refusal is final; a failure is not.
    if (outcome!.outcome === "refused") return "refused";
    if (outcome!.outcome === "failed") return "failed";
    return "stored";
  };
}

const KEY = Symbol.for("radtrack.dimse.receiver");
type Holder = typeof globalThis & { [KEY]?: Promise<DimseReceiver | null> };

/** Starts this process's receiver when configured (once); null when RADTRACK_DIMSE_PORT is not set. */
export function startConfiguredDimseReceiver(
  options: { db?: Db; cfg?: RadtrackConfig } = {},
): Promise<DimseReceiver | null> {
  const holder = globalThis as Holder;
  if (holder[KEY]) return holder[KEY];
  const cfg = options.cfg ?? appConfig();
  const dimse = cfg.dimse;
  const started = dimse
    ? startDimseReceiver({
        port: dimse.port,
        aeTitle: dimse.aeTitle,
        handle: receiveOverDimse(options.db ?? defaultDb(), cfg),
        maxBytes: uploadLimits().maxBytes,
      })
    : Promise.resolve(null);
  holder[KEY] = started;
  started.catch(() => {
    if (holder[KEY] === started) delete holder[KEY];
  });
  return started;
}

export async function stopDimseReceiver(): Promise<void> {
  const holder = globalThis as Holder;
  const entry = holder[KEY];
  if (!entry) return;
  delete holder[KEY];
  (await entry.catch(() => null))?.close();
}
