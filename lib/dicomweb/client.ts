// QIDO-RS and WADO-RS against a PACS. Transport is Node's fetch; the multipart/related bodies are decoded by
// dicomweb-client's codec. (dicomweb-client's DICOMwebClient itself is built on XMLHttpRequest, which Node lacks;
// polyfilling a browser API in the server to reach the same HTTP requests was not worth a second dependency.)
import { multipartDecode, multipartEncode } from "dicomweb-client/src/message.js";
import type { DicomwebAuth } from "@/lib/config";

/** A DICOM JSON data set (PS3.18 F.2): tag -> { vr, Value }. */
export type DicomJson = Record<string, { vr: string; Value?: unknown[] } | undefined>;

export class DicomwebHttpError extends Error {
  constructor(
    message: string,
    readonly status: number | null,
  ) {
    super(message);
    this.name = "DicomwebHttpError";
  }
}

export interface SeriesEntry {
  studyUid: string;
  seriesUid: string;
  modality: string;
  bodyPart: string;
  institution: string;
  instanceCount: number;
}

export interface InstanceEntry {
  studyUid: string;
  seriesUid: string;
  sopInstanceUid: string;
  modality: string;
  bodyPart: string;
  viewPosition: string;
  institution: string;
}

/** The first value of a tag as text ("" when absent); person names give their alphabetic form. */
export function valueOf(ds: DicomJson, tag: string): string {
  const v = ds[tag]?.Value?.[0];
  if (v === undefined || v === null) return "";
  if (typeof v === "object") return String((v as { Alphabetic?: unknown }).Alphabetic ?? "");
  return String(v);
}

const TIMEOUT_MS = 60_000;

/** What a PACS answered to a STOW-RS request, per instance (PS3.18 10.5.3). */
export interface StoreAnswer {
  stored: string[];
  failed: { sopInstanceUid: string; reason: number | null }[];
}

export class DicomwebClient {
  constructor(
    readonly baseUrl: string,
    private readonly auth: DicomwebAuth,
  ) {}

  private headers(accept: string): Headers {
    const h = new Headers({ accept });
    if (this.auth.kind === "basic") {
      h.set("authorization", `Basic ${Buffer.from(`${this.auth.username}:${this.auth.password}`).toString("base64")}`);
    } else if (this.auth.kind === "bearer") {
      h.set("authorization", `Bearer ${this.auth.token}`);
    }
    return h;
  }

  private async get(path: string, accept: string): Promise<Response> {
    const url = `${this.baseUrl}${path}`;
    let response: Response;
    try {
      response = await fetch(url, { headers: this.headers(accept), signal: AbortSignal.timeout(TIMEOUT_MS) });
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code;
      throw new DicomwebHttpError(`cannot reach ${this.baseUrl} (${cause ?? (error as Error).message})`, null);
    }
    if (!response.ok && response.status !== 204) {
      const detail = (await response.text().catch(() => "")).slice(0, 200);
      throw new DicomwebHttpError(`${url} answered ${response.status}${detail ? `: ${detail}` : ""}`, response.status);
    }
    return response;
  }

  /** STOW-RS: stores Part 10 files into the PACS (one request); throws when the PACS refuses the request itself. */
  async storeInstances(files: readonly Buffer[]): Promise<StoreAnswer> {
    const { data, boundary } = multipartEncode(files.map((f) => new Uint8Array(f).buffer));
    const headers = this.headers("application/dicom+json");
    headers.set("content-type", `multipart/related; type="application/dicom"; boundary=${boundary}`);
    const url = `${this.baseUrl}/studies`;
    let response: Response;
    try {
      response = await fetch(url, {
        method: "POST",
        headers,
        body: new Uint8Array(data),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code;
      throw new DicomwebHttpError(`cannot reach ${this.baseUrl} (${cause ?? (error as Error).message})`, null);
    }
    const body = await response.text().catch(() => "");
    // 409 carries the per-instance failures too; anything else outside 2xx is the request's own failure.
    if (!response.ok && response.status !== 409) {
      throw new DicomwebHttpError(
        `${url} answered ${response.status}${body ? `: ${body.slice(0, 200)}` : ""}`,
        response.status,
      );
    }
    let json: DicomJson = {};
    try {
      json = body ? (JSON.parse(body) as DicomJson) : {};
    } catch {
      throw new DicomwebHttpError(`${url}: the STOW-RS answer is not DICOM JSON`, response.status);
    }
    const items = (tag: string) => (json[tag]?.Value ?? []) as DicomJson[];
    return {
      stored: items("00081199").map((ds) => valueOf(ds, "00081155")),
      failed: items("00081198").map((ds) => ({
        sopInstanceUid: valueOf(ds, "00081155"),
        reason: ds["00081197"]?.Value?.length ? Number(ds["00081197"].Value[0]) : null,
      })),
    };
  }

  private async search(path: string): Promise<DicomJson[]> {
    const response = await this.get(path, "application/dicom+json");
    if (response.status === 204) return [];
    const body: unknown = await response.json();
    if (!Array.isArray(body)) throw new DicomwebHttpError(`${path}: QIDO-RS answered something else than a list`, 200);
    return body as DicomJson[];
  }

  /** One page of series of one modality (QIDO-RS). */
  async searchSeries(modality: string, offset: number, limit: number): Promise<SeriesEntry[]> {
    const q = new URLSearchParams({ Modality: modality, offset: String(offset), limit: String(limit) });
    for (const tag of ["00180015", "00080080", "00201209"]) q.append("includefield", tag);
    return (await this.search(`/series?${q}`)).map((ds) => ({
      studyUid: valueOf(ds, "0020000D"),
      seriesUid: valueOf(ds, "0020000E"),
      modality: valueOf(ds, "00080060"),
      bodyPart: valueOf(ds, "00180015"),
      institution: valueOf(ds, "00080080"),
      instanceCount: Number(valueOf(ds, "00201209") || 0),
    }));
  }

  /** The instances of one series (QIDO-RS), with the tags the filters need. */
  async searchInstances(studyUid: string, seriesUid: string): Promise<InstanceEntry[]> {
    const q = new URLSearchParams();
    for (const tag of ["00080060", "00180015", "00185101", "00080080"]) q.append("includefield", tag);
    const path = `/studies/${encodeURIComponent(studyUid)}/series/${encodeURIComponent(seriesUid)}/instances?${q}`;
    return (await this.search(path)).map((ds) => ({
      studyUid,
      seriesUid,
      sopInstanceUid: valueOf(ds, "00080018"),
      modality: valueOf(ds, "00080060"),
      bodyPart: valueOf(ds, "00180015"),
      viewPosition: valueOf(ds, "00185101"),
      institution: valueOf(ds, "00080080"),
    }));
  }

  /** One instance as stored (WADO-RS, any transfer syntax): its Part 10 bytes. */
  async retrieveInstance(studyUid: string, seriesUid: string, sopInstanceUid: string): Promise<Buffer> {
    const path =
      `/studies/${encodeURIComponent(studyUid)}/series/${encodeURIComponent(seriesUid)}` +
      `/instances/${encodeURIComponent(sopInstanceUid)}`;
    const response = await this.get(path, 'multipart/related; type="application/dicom"; transfer-syntax=*');
    const body = new Uint8Array(await response.arrayBuffer());
    const parts = multipartDecode(body.buffer);
    if (parts.length !== 1) {
      throw new DicomwebHttpError(`${path}: expected one instance in the WADO-RS answer, got ${parts.length}`, 200);
    }
    return Buffer.from(parts[0]!);
  }
}
