// The viewer's large rendition (longest side 2048 px, re-encoded, no metadata), made from the stored original: with
// a single upload, and on first request for every other scan (older scans, bulk and reference imports): the backfill.
import { decodeScan, FULL_MAX_SIDE, makeFullRendition } from "@/lib/image";
import type { ScanStore } from "@/lib/storage/scan-store";

// One making per key at a time within this process: two viewers opening the same old scan decode it once.
const inFlight = new Map<string, Promise<void>>();

function once(key: string, make: () => Promise<void>): Promise<void> {
  const running = inFlight.get(key);
  if (running) return running;
  const p = make().finally(() => inFlight.delete(key));
  inFlight.set(key, p);
  return p;
}

/** Before serving: makes the rendition from the stored original when it is not there yet (a backfill). */
export function ensureFullRendition(store: ScanStore, key: string): Promise<void> {
  return once(key, async () => {
    if (await store.hasRendition(key, "full.jpg")) return;
    // Only the rendition needs these pixels (no model): a JPEG of 4096 px or more is decoded at half size or less.
    const decoded = await decodeScan(await store.readOriginal(key), undefined, { maxSide: FULL_MAX_SIDE });
    await store.putLater(key, "full.jpg", await makeFullRendition(decoded));
  });
}
