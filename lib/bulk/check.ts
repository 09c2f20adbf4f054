// The checks a bulk upload passes before any work starts: unpack zips (lib/bulk/zip.ts), tell images from anything
// else, read the patient and date from DICOM headers, match files with manifest rows, and find each MRN in the
// registry. The outcome is one row per file (ready, refused with a reason, or waiting for a patient to be created),
// or the refusal of the whole upload.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, open, readFile, rename, rm } from "node:fs/promises";
import path from "node:path";
import type { Db } from "@/lib/db/client";
import { formatBytes, ScanValidationError } from "@/lib/image";
import { readDicomInfo } from "@/lib/image/dicom/info";
import { parseDicomBytes } from "@/lib/image/dicom/parse";
import type { DicomAcquisition } from "@/lib/image/types";
import { patientFields } from "@/lib/patients/schemas";
import { checkDicomAcquisition, dayProblem } from "@/lib/scans/acquisition-date";
import { archiveKind, classifyFile, HEAD_BYTES } from "./file-kind";
import type { BulkLimits } from "./limits";
import { firstError, ManifestError, normaliseFileName, parseManifest, type ManifestRow } from "./manifest";
import { itemPath, uploadPath } from "./staging";
import { ArchiveRefusedError, unpackZip, type Budget, type UnpackedFile } from "./zip";

export interface StagedUpload {
  name: string;
  size: number;
  manifest?: boolean;
}

export type ItemStatus = "refused" | "needs_patient" | "ready";

export interface CheckedItem {
  seq: number;
  file: string;
  bytes: number;
  sha256: string | null;
  format: string | null;
  mrn: string | null;
  patientName: string | null;
  patientId: string | null;
  /** yyyy-mm-dd */
  acquiredAt: string | null;
  view: string | null;
  status: ItemStatus;
  reason: string | null;
}

export type CheckOutcome = { ok: true; items: CheckedItem[] } | { ok: false; problems: string[] };

const MAX_INT = 2 ** 31 - 1;

interface DicomFacts {
  patientId?: string;
  patientName?: string;
  acquisition?: DicomAcquisition;
  viewPosition?: string;
}

async function readHead(file: string): Promise<Buffer> {
  const handle = await open(file, "r");
  try {
    const buf = Buffer.alloc(HEAD_BYTES);
    const { bytesRead } = await handle.read(buf, 0, HEAD_BYTES, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

async function sha256OfFile(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/** "Family^Given^Middle^Prefix^Suffix" as people write it. */
export function personName(dicomName: string | undefined): string | null {
  if (!dicomName) return null;
  const [family = "", given = "", middle = "", prefix = "", suffix = ""] = dicomName.split("=")[0]!.split("^");
  const name = [prefix, given, middle, family, suffix]
    .map((s) => s.trim())
    .filter(Boolean)
    .join(" ");
  return name ? name.slice(0, 200) : null;
}

async function dicomFacts(file: string, limits: BulkLimits): Promise<DicomFacts> {
  const bytes = await readFile(file);
  const hasPreamble = bytes.length >= 132 && bytes.toString("latin1", 128, 132) === "DICM";
  const { dataSet, transferSyntaxUid, preamble } = parseDicomBytes(bytes, hasPreamble, limits.maxFileBytes * 4);
  const info = readDicomInfo(dataSet, transferSyntaxUid, "", preamble);
  return {
    patientId: info.patientId,
    patientName: info.patientName,
    acquisition: info.acquisition,
    viewPosition: info.viewPosition,
  };
}

const basename = (name: string) => name.slice(name.lastIndexOf("/") + 1);

/**
 * Checks the staged uploads of job `jobId` and leaves the accepted files under items/<seq>. Zips are removed once
 * unpacked. On refusal nothing is left behind but the staged uploads, which the caller removes.
 */
export async function checkUpload(
  db: Db,
  jobId: string,
  uploads: readonly StagedUpload[],
  options: { dataDir: string; limits: BulkLimits },
): Promise<CheckOutcome> {
  const { dataDir, limits } = options;
  const budget: Budget = { bytes: 0, files: 0 };
  await mkdir(path.dirname(itemPath(dataDir, jobId, 0)), { recursive: true, mode: 0o700 });
  let seq = 0;
  const nextPath = () => itemPath(dataDir, jobId, seq++);
  const files: (UnpackedFile & { seq: number })[] = [];
  const problems: string[] = [];
  let manifestRows: ManifestRow[] | undefined;

  for (const [index, upload] of uploads.entries()) {
    const staged = uploadPath(dataDir, jobId, index);
    if (upload.manifest) {
      try {
        const text = new TextDecoder("utf-8", { fatal: true }).decode(await readFile(staged));
        manifestRows = parseManifest(text, limits.maxFiles);
      } catch (error) {
        if (error instanceof ManifestError) problems.push(error.message);
        else if (error instanceof TypeError) problems.push("The manifest is not UTF-8 text.");
        else throw error;
      }
      continue;
    }
    const head = await readHead(staged);
    if (archiveKind(head) === "a ZIP archive") {
      try {
        const unpacked = await unpackZip(staged, upload.name, {
          limits,
          budget,
          nextPath,
        });
        // Staged entries are numbered by their file; refused ones get numbers at the end.
        for (const f of unpacked) files.push({ ...f, seq: f.path ? Number(path.basename(f.path)) : -1 });
      } catch (error) {
        if (error instanceof ArchiveRefusedError)
          problems.push(`The archive ${JSON.stringify(upload.name)} was refused. ${error.problems.join(" ")}`);
        else throw error;
      }
      await rm(staged, { force: true });
      continue;
    }
    budget.files++;
    budget.bytes += upload.size;
    const name = normaliseFileName(upload.name);
    if (budget.files > limits.maxFiles) {
      problems.push(`The upload holds more than ${limits.maxFiles} files.`);
      break;
    }
    if (upload.size > limits.maxFileBytes) {
      files.push({
        name,
        bytes: upload.size,
        seq: -1,
        refused: `The file is ${formatBytes(upload.size)}; the limit is ${formatBytes(limits.maxFileBytes)}.`,
      });
      continue;
    }
    const kind = classifyFile(head);
    if (!kind.ok) {
      const archive = archiveKind(head);
      files.push({
        name,
        bytes: upload.size,
        seq: -1,
        refused: archive ? `Only zip archives are unpacked; this is ${archive}.` : kind.reason,
      });
      continue;
    }
    const dest = nextPath();
    await rename(staged, dest);
    files.push({
      name,
      path: dest,
      bytes: upload.size,
      sha256: await sha256OfFile(dest),
      format: kind.format,
      seq: Number(path.basename(dest)),
    });
  }
  if (budget.bytes > limits.maxTotalBytes) {
    problems.push(`The upload holds ${formatBytes(budget.bytes)}; the limit is ${formatBytes(limits.maxTotalBytes)}.`);
  }
  if (problems.length) return { ok: false, problems };

  // Refused files got no staged file; give them numbers after the accepted ones.
  for (const f of files) if (f.seq < 0) f.seq = seq++;

  // Manifest rows by file name; a file matches its full path, else its base name when that is unambiguous.
  const rowsByName = new Map<string, ManifestRow[]>();
  for (const row of manifestRows ?? []) {
    if (!row.file) continue;
    rowsByName.set(row.file, [...(rowsByName.get(row.file) ?? []), row]);
  }
  const baseCount = new Map<string, number>();
  for (const f of files) baseCount.set(basename(f.name), (baseCount.get(basename(f.name)) ?? 0) + 1);
  const usedRows = new Set<ManifestRow>();

  const items: CheckedItem[] = [];
  for (const f of files) {
    const item: CheckedItem = {
      seq: f.seq,
      file: f.name,
      bytes: Math.min(f.bytes, MAX_INT),
      sha256: f.sha256 ?? null,
      format: f.format ?? null,
      mrn: null,
      patientName: null,
      patientId: null,
      acquiredAt: null,
      view: null,
      status: "ready",
      reason: null,
    };
    items.push(item);
    const refuse = (reason: string) => {
      item.status = "refused";
      item.reason = reason;
    };
    let row: ManifestRow | undefined;
    if (manifestRows) {
      const candidates =
        rowsByName.get(f.name) ??
        (baseCount.get(basename(f.name)) === 1 ? rowsByName.get(basename(f.name)) : undefined);
      row = candidates?.[0];
      if (row && usedRows.has(row)) {
        refuse(`The manifest row on line ${row.line} matches another file too; name the file by its full path.`);
        continue;
      }
      if (row) usedRows.add(row);
    }
    if (f.refused) {
      refuse(f.refused);
      continue;
    }
    if (row) {
      item.mrn = row.mrn ?? null;
      item.acquiredAt = row.acquiredAt ?? null;
      item.view = row.view ?? null;
      if (row.problems.length) {
        refuse(`Manifest line ${row.line}: ${row.problems.join(" ")}`);
        continue;
      }
    } else if (manifestRows) {
      refuse("The file is not listed in the manifest.");
      continue;
    }
    let facts: DicomFacts = {};
    if (f.format === "dicom") {
      try {
        facts = await dicomFacts(f.path!, limits);
      } catch (error) {
        if (error instanceof ScanValidationError) {
          refuse(error.message);
          continue;
        }
        throw error;
      }
      item.patientName = personName(facts.patientName);
    } else if (!row) {
      refuse("Without a manifest only DICOM files say whose they are. Add a manifest row for this file.");
      continue;
    }
    if (!item.mrn && facts.patientId) {
      const parsed = patientFields.mrn.safeParse(facts.patientId);
      if (!parsed.success) {
        refuse(`The DICOM PatientID "${facts.patientId.slice(0, 80)}" is not a usable MRN: ${firstError(parsed)}`);
        continue;
      }
      item.mrn = parsed.data;
    }
    if (!item.acquiredAt && facts.acquisition) {
      // The manifest's date is checked by the same rule when the manifest is read; the header's is checked here, so
      // that a bad one fails this file alone.
      const fromFile = checkDicomAcquisition(facts.acquisition);
      if (!fromFile.ok) {
        refuse(`${fromFile.problem} Give the date in a manifest row for this file.`);
        continue;
      }
      item.acquiredAt = fromFile.day;
    }
    item.view ??= facts.viewPosition?.slice(0, 40) ?? null;
    if (!item.mrn) {
      refuse(
        row
          ? `Manifest line ${row.line} gives no MRN and the file names no patient.`
          : "The DICOM file has no PatientID.",
      );
      continue;
    }
    if (!item.acquiredAt) {
      refuse(
        row
          ? `Manifest line ${row.line} gives no acquired_at and the file carries no date.`
          : "The DICOM file carries no acquisition, content or study date; give one in a manifest.",
      );
      continue;
    }
    const problem = dayProblem(item.acquiredAt);
    if (problem) {
      refuse(`The acquisition date ${item.acquiredAt}: ${problem}`);
      continue;
    }
  }
  // Rows that named a file nobody uploaded, and rows naming a file twice.
  for (const row of manifestRows ?? []) {
    if (usedRows.has(row)) continue;
    const twice = row.file && rowsByName.get(row.file)!.length > 1 && rowsByName.get(row.file)![0] !== row;
    items.push({
      seq: seq++,
      file: row.file || `(manifest line ${row.line})`,
      bytes: 0,
      sha256: null,
      format: null,
      mrn: row.mrn ?? null,
      patientName: null,
      patientId: null,
      acquiredAt: row.acquiredAt ?? null,
      view: row.view ?? null,
      status: "refused",
      reason: twice
        ? `Manifest line ${row.line} lists this file again (first on line ${rowsByName.get(row.file)![0]!.line}).`
        : row.file
          ? `Manifest line ${row.line}: no uploaded file has this name.`
          : `Manifest line ${row.line}: ${row.problems.join(" ")}`,
    });
  }

  await resolvePatients(db, items);
  items.sort((a, b) => a.seq - b.seq);
  return { ok: true, items };
}

/** Fills in patientId from the registry (exact MRN, else the one MRN that differs only in case). */
export async function resolvePatients(db: Db, items: CheckedItem[]): Promise<void> {
  const pending = items.filter((i) => i.status !== "refused" && i.mrn);
  const mrns = [...new Set(pending.map((i) => i.mrn!))];
  const found = new Map<string, { id: string; mrn: string }>();
  for (let i = 0; i < mrns.length; i += 1000) {
    const chunk = mrns.slice(i, i + 1000);
    for (const p of await db.patient.findMany({ where: { mrn: { in: chunk } }, select: { id: true, mrn: true } })) {
      found.set(p.mrn, p);
    }
    const missing = chunk.filter((m) => !found.has(m));
    if (missing.length) {
      const loose = await db.patient.findMany({
        where: { OR: missing.map((m) => ({ mrn: { equals: m, mode: "insensitive" as const } })) },
        select: { id: true, mrn: true },
      });
      for (const m of missing) {
        const hits = loose.filter((p) => p.mrn.toLowerCase() === m.toLowerCase());
        if (hits.length === 1) found.set(m, hits[0]!);
      }
    }
  }
  for (const item of pending) {
    const patient = found.get(item.mrn!);
    if (patient) {
      item.patientId = patient.id;
      item.mrn = patient.mrn;
      item.status = "ready";
      item.reason = null;
    } else {
      item.status = "needs_patient";
      item.reason = `MRN ${item.mrn} is not registered.`;
    }
  }
}
