// The SR builder on a film made by DCMTK: the document parses and passes DCMTK's SR checks, names the source film's
// patient and study, references the film, carries the values it was given and nothing else, and its UIDs are stable
// per scan and model version.
import { writeFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { corpusPath } from "@/tests/support/image/corpus";
import { FixtureDir } from "@/tests/support/image/dcmtk";
import { NotDicomSourceError, readSourceFilm } from "./source";
import {
  buildResultSr,
  COMPREHENSIVE_SR,
  DECISION_SUPPORT,
  LOCAL_SCHEME,
  nameBasedUid,
  resultUids,
  type SrScan,
} from "./sr";
import { dcmtkCheck, readSr } from "@/tests/support/sr-check";

const scan: SrScan = {
  id: "5d0c8a4e-2b1f-4c3a-9e7d-1f2a3b4c5d6e",
  model: { id: "cxr-densenet-v2", version: "2.1" },
  extent: { value: 3.2149, lo: 1.7, hi: 4.95 },
  assessment: {
    index: 0.43218,
    region: "infected",
    mix: { healthy: 9, infected: 21, severe: 6 },
    k: 36,
    libraryStamp: "lib-2026-12-01-abc",
    computedAt: new Date("2026-12-01T10:00:00Z"),
  },
};

describe("result SR", () => {
  let fx: FixtureDir;

  beforeAll(async () => {
    fx = await FixtureDir.create();
    await fx.img2dcm(corpusPath("nih00001"), "film.dcm", {
      PatientID: "MRN-42",
      IssuerOfPatientID: "HOSP",
      PatientName: "Doe^Jane",
      PatientBirthDate: "19580304",
      PatientSex: "F",
      Modality: "CR",
      StudyDate: "20261201",
      StudyTime: "101500",
      AccessionNumber: "ACC-7",
      StudyID: "S1",
      ReferringPhysicianName: "House^Greg",
    });
  });

  afterAll(async () => {
    await fx?.remove();
  });

  it("joins the source film's patient and study in a new series, references the film, passes dsrdump and dciodvfy", async () => {
    const source = readSourceFilm(await fx.read("film.dcm"));
    const sr = buildResultSr(scan, source, { now: new Date("2026-12-07T12:34:56Z") });
    await writeFile(fx.file("sr.dcm"), sr.bytes);
    const check = await dcmtkCheck(fx.file("sr.dcm"));
    expect(check.problems).toEqual([]);
    expect(check.dsrdump).toMatch(/^Comprehensive SR Document/m);
    expect(check.dsrdump).toContain('(18748-4,LN,"Diagnostic Imaging Report")');
    expect(check.dsrdump).toContain('(121071,DCM,"Finding")');

    const read = readSr(sr.bytes);
    const ds = read.dataset;
    expect(ds).toMatchObject({
      SOPClassUID: COMPREHENSIVE_SR,
      SOPInstanceUID: sr.sopInstanceUid,
      Modality: "SR",
      StudyInstanceUID: source.studyUid,
      SeriesInstanceUID: sr.seriesUid,
      PatientID: "MRN-42",
      IssuerOfPatientID: "HOSP",
      PatientBirthDate: "19580304",
      PatientSex: "F",
      StudyDate: "20261201",
      StudyTime: "101500",
      AccessionNumber: "ACC-7",
      StudyID: "S1",
      ContentDate: "20261207",
      ContentTime: "123456",
      CompletionFlag: "COMPLETE",
      VerificationFlag: "UNVERIFIED",
      PreliminaryFlag: "PRELIMINARY",
    });
    expect(JSON.stringify(ds.PatientName)).toContain("Doe^Jane");
    expect(sr.seriesUid).not.toBe(source.seriesUid);
    expect(sr.sopInstanceUid).not.toBe(source.sopInstanceUid);
    const evidence = (ds.CurrentRequestedProcedureEvidenceSequence as Record<string, unknown>[])[0]!;
    expect(evidence.StudyInstanceUID).toBe(source.studyUid);
    expect(JSON.stringify(evidence)).toContain(source.seriesUid);
    expect(JSON.stringify(evidence)).toContain(source.sopInstanceUid);
    expect(read.images).toEqual([source.sopInstanceUid]);

    // The values given, rounded as the FHIR Observation rounds them.
    expect(read.nums.get("extent")).toEqual({ value: 3.2149, unit: "1" });
    expect(read.nums.get("extent-lo")?.value).toBe(1.7);
    expect(read.nums.get("extent-hi")?.value).toBe(4.95);
    expect(read.nums.get("neighbour-index")).toEqual({ value: 0.4322, unit: "1" });
    expect(read.nums.get("nbrs-k")?.value).toBe(36);
    expect(read.nums.get("nbrs-healthy")?.value).toBe(9);
    expect(read.nums.get("nbrs-infected")?.value).toBe(21);
    expect(read.nums.get("nbrs-severe")?.value).toBe(6);
    expect(read.codes.get("region")).toBe("region-infected");
    expect(read.codes.get("121005")).toBe("121007");
    expect(read.texts.get("111001")).toBe("cxr-densenet-v2");
    expect(read.texts.get("111003")).toBe("2.1");
    expect(read.texts.get("library-state")).toBe("lib-2026-12-01-abc");
    expect(read.texts.get("121106")).toBe(DECISION_SUPPORT);
    expect(read.texts.get("121071")).toMatch(/extent estimate 3\.2149 .*interval 1\.7 to 4\.95.*index 0\.4322/);
    expect(JSON.stringify(ds.CodingSchemeIdentificationSequence)).toContain(LOCAL_SCHEME);
  });

  it("gives the same UIDs for the same scan and model version, others for another version or scan", () => {
    const a = resultUids(scan.id, { id: "m", version: "1" });
    expect(resultUids(scan.id, { id: "m", version: "1" })).toEqual(a);
    expect(resultUids(scan.id, { id: "m", version: "2" }).sopInstanceUid).not.toBe(a.sopInstanceUid);
    expect(resultUids("another-scan", { id: "m", version: "1" }).seriesUid).not.toBe(a.seriesUid);
    expect(a.seriesUid).not.toBe(a.sopInstanceUid);
    for (const uid of [a.seriesUid, a.sopInstanceUid, nameBasedUid("x")]) {
      expect(uid).toMatch(/^2\.25\.(0|[1-9]\d*)$/);
      expect(uid.length).toBeLessThanOrEqual(64);
    }
  });

  it("reports the index alone for a model without an extent head, and names non-ASCII patients in UTF-8", async () => {
    await fx.img2dcm(corpusPath("nih00002"), "utf8.dcm", {
      SpecificCharacterSet: "ISO_IR 192",
      PatientID: "MRN-43",
      PatientName: "Müller^Jörg",
      Modality: "DX",
      StudyDate: "20261202",
      StudyTime: "0930",
      StudyID: "S2",
    });
    const source = readSourceFilm(await fx.read("utf8.dcm"));
    const sr = buildResultSr({ ...scan, extent: null, model: { id: "m", version: null } }, source);
    const read = readSr(sr.bytes);
    expect(read.dataset.SpecificCharacterSet).toBe("ISO_IR 192");
    expect(JSON.stringify(read.dataset.PatientName)).toContain("Müller^Jörg");
    expect(read.nums.has("extent")).toBe(false);
    expect(read.nums.get("neighbour-index")?.value).toBe(0.4322);
    expect(read.texts.has("111003")).toBe(false);
    await writeFile(fx.file("sr-utf8.dcm"), sr.bytes);
    const check = await dcmtkCheck(fx.file("sr-utf8.dcm"));
    // DCMTK 3.6.7's VR checker cannot check UTF-8 text and says so; nothing else may be reported.
    expect(check.problems.filter((p) => !/VR checker does not support this Specific Character Set/.test(p))).toEqual(
      [],
    );
  });

  it("refuses a scan without a result and a source that is not DICOM", async () => {
    const source = readSourceFilm(await fx.read("film.dcm"));
    expect(() => buildResultSr({ ...scan, extent: null, assessment: null }, source)).toThrow(/no result/);
    expect(() => buildResultSr({ ...scan, model: null }, source)).toThrow(/no result/);
    expect(() => readSourceFilm(new Uint8Array(Buffer.from("a JPEG, not DICOM")))).toThrow(NotDicomSourceError);
  });
});
