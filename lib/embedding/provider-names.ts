// The execution providers a setting may name, apart from providers.ts so that reading the setting (lib/config.ts)
// does not load onnxruntime.
import { EmbeddingConfigError } from "./errors";

export const REQUESTABLE_PROVIDERS = ["auto", "cuda", "webgpu", "cpu"] as const;
export type RequestedProvider = (typeof REQUESTABLE_PROVIDERS)[number];
export type ExecutionProvider = Exclude<RequestedProvider, "auto">;

export function parseRequestedProvider(raw: string | undefined): RequestedProvider {
  const value = raw?.trim().toLowerCase() ?? "";
  if (value === "") return "auto";
  if ((REQUESTABLE_PROVIDERS as readonly string[]).includes(value)) return value as RequestedProvider;
  throw new EmbeddingConfigError(`EMBED_PROVIDER must be one of ${REQUESTABLE_PROVIDERS.join(", ")}; got "${raw}"`);
}
