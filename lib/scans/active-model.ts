// The model whose vectors this process writes and searches. Registered in the database once per process: the
// sha256 and dimension are checked against what the database already holds (lib/db/vector-sql.ts).
import type { Db } from "@/lib/db/client";
import { ensureModel } from "@/lib/db/vector-sql";
import { embeddingModel, type ModelDescriptor } from "@/lib/embedding";

export interface ActiveModel {
  id: string;
  dims: number;
  /** The model's extra outputs (extent, view gate); undefined for an embedding-only model. */
  heads?: ModelDescriptor["heads"];
}

const KEY = Symbol.for("radtrack.scans.activeModel");
type Holder = typeof globalThis & { [KEY]?: Promise<ActiveModel> };

export function activeModel(db: Db): Promise<ActiveModel> {
  const holder = globalThis as Holder;
  holder[KEY] ??= (async () => {
    const model = await embeddingModel();
    await ensureModel(db, {
      id: model.id,
      sha256: model.sha256,
      dims: model.dims,
      card: JSON.parse(JSON.stringify(model.card)),
    });
    return { id: model.id, dims: model.dims, heads: model.card.heads };
  })().catch((error: unknown) => {
    // Let the next call retry (e.g. after the database came back) instead of caching the failure.
    delete holder[KEY];
    throw error;
  });
  return holder[KEY];
}
