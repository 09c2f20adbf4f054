// Test-only: registers the embedding model in this test's database. activeModel() caches per process, and a test
// file gets a fresh database, so tests register it themselves and pass it on explicitly.
import type { Db } from "@/lib/db/client";
import { ensureModel } from "@/lib/db/vector-sql";
import { embeddingModel } from "@/lib/embedding";
import type { ActiveModel } from "@/lib/scans/active-model";

export async function registerModel(db: Db): Promise<ActiveModel> {
  const model = await embeddingModel();
  await ensureModel(db, {
    id: model.id,
    sha256: model.sha256,
    dims: model.dims,
    card: JSON.parse(JSON.stringify(model.card)),
  });
  return { id: model.id, dims: model.dims };
}
