// Public API of the image module: validate + decode uploads, and make the renditions we serve.
export { decodeScan, type DecodeOptions } from "./decode";
export { detectFileType, type DetectedType } from "./detect";
export { formatBytes, isScanValidationError, ScanValidationError, type ScanErrorCode } from "./errors";
export {
  FULL_MAX_SIDE,
  makeFullRendition,
  makePreview,
  makeRenditions,
  makeThumbnail,
  PREVIEW_MAX_SIDE,
  THUMBNAIL_SIDE,
  type Renditions,
} from "./renditions";
export {
  DEFAULT_LIMITS,
  untimed,
  type DecodedScan,
  type DecodeLimits,
  type DicomInfo,
  type ScanFormat,
  type StepClock,
} from "./types";
