// Child process of tests/integration/embedded-security.test.ts, run under `umask 000`: opens the embedded database
// in the data directory given as argument, migrates it and stores one scan's files, as `npm start` and an upload do.
import { createHash } from "node:crypto";
import { startEmbeddedDatabase } from "@/lib/db/embedded";
import { migrate } from "@/lib/db/migrate";
import { ScanStore } from "@/lib/storage/scan-store";

const dataDir = process.argv[2];
if (!dataDir) throw new Error("usage: store-under-umask.ts <data dir>");
const embedded = await startEmbeddedDatabase({ dataDir });
try {
  await migrate(embedded.url);
  const original = Buffer.from("not an image, only bytes to store");
  const sha = createHash("sha256").update(original).digest("hex");
  await ScanStore.forDataDir(dataDir).put(sha, { original, preview: original, thumbnail: original });
} finally {
  await embedded.stop();
}
