// The viewer's large rendition (longest side 2048 px, re-encoded, no metadata). Made from the decoded pixels right
// after an upload is stored, without holding up the upload's answer; scans stored before it existed (or by the bulk
// and reference imports) get it on first request, from their original.
import { decodeScan, makeFullRendition } from "@/lib/image";
import type { ScanStore } from "@/lib/storage/scan-store";
import type { DecodedScan } from "@/lib/image";

// One making per key at a time within this process: two viewers opening the same old scan decode it once.
const inFlight = new Map<string, Promise<void>>();

function once(key: string, make: () => Promise<void>): Promise<void> {
  const running = inFlight.get(key);
  if (running) return running;
  const p = make().finally(() => inFlight.delete(key));
  inFlight.set(key, p);
  return p;
}

/** After an upload: the rendition from the pixels already decoded. */
export function keepFullRendition(store: ScanStore, key: string, decoded: DecodedScan): Promise<void> {
  return once(key, async () => {
    if (await store.hasRendition(key, "full.jpg")) return;
    await store.putLater(key, "full.jpg", await makeFullRendition(decoded));
  });
}

/** Before serving: makes the rendition from the stored original when it is not there yet (a backfill). */
export function ensureFullRendition(store: ScanStore, key: string): Promise<void> {
  return once(key, async () => {
    if (await store.hasRendition(key, "full.jpg")) return;
    const decoded = await decodeScan(await store.readOriginal(key));
    await store.putLater(key, "full.jpg", await makeFullRendition(decoded));
  });
}
