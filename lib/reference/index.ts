export { readMetadata, parseMetadata, imagePath, type CorpusRow, type CorpusMetadata } from "./metadata";
export { personKeys } from "./persons";
export { selectDemoPatients, DEFAULT_DEMO_PATIENTS, type DemoPatientPlan, type DemoSelection } from "./demo-selection";
export {
  planImport,
  classOfSeverity,
  countByReason,
  SKIP_REASONS,
  type ImportPlan,
  type PlannedRow,
  type SkippedRow,
  type SkipReason,
} from "./plan";
export {
  importReferenceLibrary,
  pendingReferenceImports,
  type ImportOptions,
  type ImportProgress,
  type ImportSummary,
  type IndexStrategy,
} from "./import";
export {
  seedDemoPatients,
  seedEmbeddedDefaults,
  demoAcquisitionTimes,
  DEMO_BASE_DATE,
  type DemoSeedOptions,
  type DemoSeedSummary,
  type SeedResult,
} from "./demo";
