// A scan's occlusion heatmap, computed on request (never during an upload) and kept beside its other renditions with
// the numbers it came from. It is made again when the model or the reference library has changed since, because the
// score it explains depends on both.
import type { Db } from "@/lib/db/client";
import { decodeScan } from "@/lib/image";
import type { ScanStore } from "@/lib/storage/scan-store";
import { activeModel } from "@/lib/scans/active-model";
import { libraryStamp } from "@/lib/timeline/library-stamp";
import { heatmapPng, occlusionMap, workingCopy, type OcclusionMap } from "./occlusion";
import { explainedScore } from "./score";

export const HEATMAP_GRID = 8;

export interface HeatmapRecord extends OcclusionMap {
  modelId: string;
  libraryStamp: string;
  score: string;
  computedAt: string;
  seconds: number;
}

interface ScanRow {
  id: string;
  patientId: string | null;
  sha256: string;
  storageKey: string;
}

const inFlight = new Map<string, Promise<HeatmapRecord>>();

async function cached(store: ScanStore, key: string): Promise<HeatmapRecord | null> {
  if (!(await store.hasRendition(key, "heatmap.json")) || !(await store.hasRendition(key, "heatmap.png"))) return null;
  try {
    return JSON.parse((await store.read(key, "heatmap.json")).toString("utf8")) as HeatmapRecord;
  } catch {
    return null;
  }
}

/** The heatmap's numbers, computing (and storing) the map when it is missing or out of date. */
export async function ensureHeatmap(db: Db, store: ScanStore, scan: ScanRow): Promise<HeatmapRecord> {
  const model = await activeModel(db);
  const stamp = await libraryStamp(db);
  const have = await cached(store, scan.storageKey);
  if (have && have.modelId === model.id && have.libraryStamp === stamp) return have;
  const running = inFlight.get(scan.id);
  if (running) return running;
  const job = (async () => {
    const started = performance.now();
    const decoded = await decodeScan(await store.readOriginal(scan.storageKey));
    const explained = await explainedScore(db, scan, model);
    const map = await occlusionMap(decoded, explained.score, HEATMAP_GRID);
    const shape = await workingCopy(decoded);
    const record: HeatmapRecord = {
      ...map,
      modelId: model.id,
      libraryStamp: stamp,
      score: explained.name,
      computedAt: new Date().toISOString(),
      seconds: (performance.now() - started) / 1000,
    };
    await store.putLater(scan.storageKey, "heatmap.png", await heatmapPng(map, shape.width, shape.height));
    await store.putLater(scan.storageKey, "heatmap.json", Buffer.from(JSON.stringify(record)));
    return record;
  })().finally(() => inFlight.delete(scan.id));
  inFlight.set(scan.id, job);
  return job;
}
