// The part of dcmjs (0.50) Radtrack uses: DICOM Part 10 reading and writing through "natural" data sets (keyword ->
// value). The package ships no types.
declare module "dcmjs" {
  /** A data set keyed by DICOM keywords; sequences are arrays of data sets. */
  export type NaturalDataset = Record<string, unknown>;
  /** A data set keyed by tag ("0020000D") with { vr, Value }. */
  export type DenaturalizedDataset = Record<string, { vr: string; Value?: unknown[] }>;

  interface DicomMetaDictionaryStatic {
    naturalizeDataset(dataset: DenaturalizedDataset): NaturalDataset;
    denaturalizeDataset(dataset: NaturalDataset): DenaturalizedDataset;
  }

  class DicomDict {
    constructor(meta: DenaturalizedDataset);
    meta: DenaturalizedDataset;
    dict: DenaturalizedDataset;
    write(options?: { allowInvalidVRLength?: boolean }): ArrayBuffer;
  }

  interface DicomMessageStatic {
    readFile(
      buffer: ArrayBuffer,
      options?: { ignoreErrors?: boolean; untilTag?: string; includeUntilTagValue?: boolean; noCopy?: boolean },
    ): DicomDict;
  }

  const dcmjs: {
    data: {
      DicomMetaDictionary: DicomMetaDictionaryStatic;
      DicomDict: typeof DicomDict;
      DicomMessage: DicomMessageStatic;
    };
  };
  export default dcmjs;
}
