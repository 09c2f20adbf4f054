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

/**
 * The model this process reads for, without registering it: no writes and no index builds, so a read (a page, a GET)
 * stays safe on a read replica. Writers register it through activeModel before storing anything of it.
 */
export async function modelInUse(): Promise<ActiveModel> {
  const model = await embeddingModel();
  return { id: model.id, dims: model.dims, heads: model.card.heads };
}

/** Registers the model in use in this database, every call (activeModel does it once per process). */
export async function registerModelInUse(db: Db): Promise<ActiveModel> {
  const model = await embeddingModel();
  await ensureModel(db, {
    id: model.id,
    sha256: model.sha256,
    dims: model.dims,
    card: JSON.parse(JSON.stringify(model.card)),
  });
  return { id: model.id, dims: model.dims, heads: model.card.heads };
}

export function activeModel(db: Db): Promise<ActiveModel> {
  const holder = globalThis as Holder;
  holder[KEY] ??= registerModelInUse(db).catch((error: unknown) => {
    // Let the next call retry (e.g. after the database came back) instead of caching the failure.
    delete holder[KEY];
    throw error;
  });
  return holder[KEY];
}
