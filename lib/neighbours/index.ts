export {
  classMix,
  neighboursOfScan,
  NoEmbeddingError,
  ScanNotFoundError,
  type ClassMix,
  type Neighbour,
  type NeighboursOfScanOptions,
  type NeighboursResult,
} from "./neighbours";
export { MAX_K, neighbourOptionsSchema, parseNeighbourOptions, type NeighbourOptions } from "./options";
export { thumbnailUrl } from "./thumbnail-url";
export { findNeighbours, type ScanRef } from "./find";
