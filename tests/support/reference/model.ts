// Test-only: registers the embedding model in this test's database. activeModel() caches per process, and a test
// file gets a fresh database, so tests register it themselves and pass it on explicitly.
import type { Db } from "@/lib/db/client";
import { registerModelInUse, type ActiveModel } from "@/lib/scans/active-model";

export function registerModel(db: Db): Promise<ActiveModel> {
  return registerModelInUse(db);
}
