// Which patient an instance from a PACS belongs to. PatientID (+ IssuerOfPatientID) against the MRN, or a link an
// admin confirmed; never the name. The name is only a check: when it disagrees with the matched patient, the
// instance waits for an admin instead of being filed silently.
import type { Db } from "@/lib/db/client";
import type { InstanceHeader } from "./header";

export type MatchResult =
  | { kind: "matched"; patientId: string }
  | { kind: "create" }
  | { kind: "pending"; reason: string; candidateId: string | null };

export interface MatchSettings {
  createPatients: boolean;
  /** The hospital's own issuer of patient IDs, when known. */
  issuer: string | undefined;
  /** The care team (by name) that patients created from the files join (RADTRACK_PACS_CARE_TEAM). */
  careTeam?: string;
}

const MRN = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$/;

/** Lower-case words of a name, accents dropped; DICOM's "^" separates components. */
function nameWords(name: string): string[] {
  return name
    .normalize("NFD")
    .replace(/\p{M}/gu, "")
    .toLowerCase()
    .split(/[\s^,.]+/)
    .filter(Boolean);
}

/** Family and given names of a DICOM person name (prefix, suffix and middle names are not compared). */
function dicomNameWords(name: string): string[] {
  const [family = "", given = ""] = name.split("=")[0]!.split("^");
  return nameWords(`${family} ${given}`);
}

/** True when both names are present and neither's words are all in the other. */
export function namesConflict(dicomName: string, ...known: string[]): boolean {
  const incoming = dicomNameWords(dicomName);
  if (incoming.length === 0) return false;
  return !known.some((k) => {
    const words = new Set(nameWords(k.includes("^") ? k.replace(/\^/g, " ") : k));
    const theirs = [...words];
    return incoming.every((w) => words.has(w)) || (theirs.length > 0 && theirs.every((w) => incoming.includes(w)));
  });
}

/** "Doe^Jane" -> "Jane Doe", for a patient created from the file. */
export function displayName(dicomName: string): string {
  const [family = "", given = "", middle = ""] = dicomName.split("=")[0]!.split("^");
  return [given, middle, family]
    .map((s) => s.trim())
    .filter(Boolean)
    .join(" ");
}

export function patientSex(dicomSex: string): "female" | "male" | "other" | "unknown" {
  return dicomSex === "F" ? "female" : dicomSex === "M" ? "male" : dicomSex === "O" ? "other" : "unknown";
}

export async function matchPatient(db: Db, h: InstanceHeader, settings: MatchSettings): Promise<MatchResult> {
  const pid = h.patientId.trim();
  if (!pid) return { kind: "pending", reason: "the file has no PatientID", candidateId: null };
  const link = await db.dicomPatientLink.findUnique({
    where: { issuer_dicomPatientId: { issuer: h.issuer, dicomPatientId: pid } },
    include: { patient: { select: { name: true } } },
  });
  if (link) {
    if (namesConflict(h.patientName, link.patient.name, link.acceptedName)) {
      return {
        kind: "pending",
        reason: `the name in the file differs from the confirmed patient for PatientID ${pid}`,
        candidateId: link.patientId,
      };
    }
    return { kind: "matched", patientId: link.patientId };
  }
  if (h.issuer && h.issuer !== settings.issuer) {
    return {
      kind: "pending",
      reason: settings.issuer
        ? `PatientID ${pid} was issued by "${h.issuer}", not by this hospital ("${settings.issuer}")`
        : `PatientID ${pid} was issued by "${h.issuer}" and RADTRACK_PACS_ISSUER is not set: an MRN match is not assumed`,
      candidateId: null,
    };
  }
  const patient = await db.patient.findUnique({ where: { mrn: pid }, select: { id: true, name: true } });
  if (patient) {
    if (namesConflict(h.patientName, patient.name)) {
      return {
        kind: "pending",
        reason: `the name in the file differs from the patient with MRN ${pid}`,
        candidateId: patient.id,
      };
    }
    return { kind: "matched", patientId: patient.id };
  }
  if (!settings.createPatients) {
    return { kind: "pending", reason: `no patient has MRN ${pid}`, candidateId: null };
  }
  if (!MRN.test(pid)) {
    return { kind: "pending", reason: `PatientID "${pid}" is not a valid MRN; choose the patient`, candidateId: null };
  }
  return { kind: "create" };
}
