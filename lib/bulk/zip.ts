// Unpacking an uploaded zip without trusting it. Two passes:
//  1. the central directory only: entry count, names (no "..", absolute paths, drive letters, backslashes), symbolic
//     links, and the sizes the archive declares (total and compression ratio), before one byte is inflated;
//  2. each entry inflated to our own file name (never the entry's), counting the bytes that really come out: an entry
//     that inflates past what it declared, past the total, or past the ratio stops the whole archive.
// Entry names are only ever labels; nothing is written under a name taken from the archive.
import { createHash } from "node:crypto";
import { open, rm } from "node:fs/promises";
import { crc32 } from "node:zlib";
import yauzl from "yauzl";
import { formatBytes } from "@/lib/image";
import { classifyFile, HEAD_BYTES } from "./file-kind";
import type { BulkLimits } from "./limits";

/** The whole archive is refused: it is hostile or broken, so none of its files is taken. */
export class ArchiveRefusedError extends Error {
  constructor(
    readonly archive: string,
    readonly problems: string[],
  ) {
    super(`${archive}: ${problems.join(" ")}`);
    this.name = "ArchiveRefusedError";
  }
}

/** Shared by all files of one upload, so that many archives cannot add up past the limits. */
export interface Budget {
  bytes: number;
  files: number;
}

export interface UnpackedFile {
  /** The entry's path in the archive (a label only). */
  name: string;
  /** Where its bytes were written; absent when the entry was refused. */
  path?: string;
  bytes: number;
  sha256?: string;
  format?: "jpeg" | "png" | "dicom";
  refused?: string;
}

const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;
const MAX_LISTED = 10;

/** Why an entry name is unsafe to unpack, or null. Checked on the raw name, before any normalisation. */
export function unsafeEntryName(name: string): string | null {
  if (name.includes("\\")) return "uses backslashes in its path";
  if (/^[A-Za-z]:/.test(name)) return "starts with a drive letter (an absolute Windows path)";
  if (name.startsWith("/")) return "is an absolute path";
  if (/[\u0000-\u001f\u007f]/.test(name)) return "has control characters in its name";
  if (name.split("/").includes("..")) return 'climbs out of the archive folder with ".."';
  if (name.length > 1024) return "has a name longer than 1024 characters";
  return null;
}

function openZip(file: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) =>
    yauzl.open(
      file,
      { lazyEntries: true, autoClose: false, decodeStrings: false, validateEntrySizes: true, strictFileNames: true },
      (error, zip) => (error || !zip ? reject(error ?? new Error("cannot open")) : resolve(zip)),
    ),
  );
}

function listEntries(zip: yauzl.ZipFile): Promise<yauzl.Entry[]> {
  return new Promise((resolve, reject) => {
    const entries: yauzl.Entry[] = [];
    zip.on("entry", (entry: yauzl.Entry) => {
      entries.push(entry);
      zip.readEntry();
    });
    zip.on("end", () => resolve(entries));
    zip.on("error", reject);
    zip.readEntry();
  });
}

function entryName(entry: yauzl.Entry): string {
  // strictFileNames: backslashes are kept, so that they can be refused rather than silently turned into folders.
  return yauzl.getFileNameLowLevel(entry.generalPurposeBitFlag, entry.fileNameRaw, entry.extraFields, true);
}

function isSymlink(entry: yauzl.Entry): boolean {
  const madeByUnix = entry.versionMadeBy >> 8 === 3;
  return madeByUnix && ((entry.externalFileAttributes >>> 16) & S_IFMT) === S_IFLNK;
}

function list(problems: string[]): string[] {
  return problems.length > MAX_LISTED
    ? [...problems.slice(0, MAX_LISTED), `… and ${problems.length - MAX_LISTED} more problems.`]
    : problems;
}

function shown(name: string): string {
  // Names may hold anything: show them quoted, with control characters visible, and not too long.
  const safe = JSON.stringify(name.replace(/[\u0000-\u001f\u007f]/g, "?"));
  return safe.length > 120 ? `${safe.slice(0, 117)}…"` : safe;
}

/**
 * Unpacks `file` (already staged on disk) into `outDir` under names from `nextName()`. Returns one entry per file in
 * the archive (directories are skipped); refused entries carry the reason. Throws ArchiveRefusedError when the
 * archive itself must be refused; files it wrote by then are removed.
 */
export async function unpackZip(
  file: string,
  label: string,
  options: { limits: BulkLimits; budget: Budget; nextPath: () => string },
): Promise<UnpackedFile[]> {
  const { limits, budget } = options;
  let zip: yauzl.ZipFile;
  try {
    zip = await openZip(file);
  } catch (error) {
    throw new ArchiveRefusedError(label, [`It is not a readable zip file (${(error as Error).message}).`]);
  }
  const written: string[] = [];
  try {
    if (zip.entryCount + budget.files > limits.maxFiles) {
      throw new ArchiveRefusedError(label, [
        `It has ${zip.entryCount} entries; one upload may hold at most ${limits.maxFiles} files.`,
      ]);
    }
    let entries: yauzl.Entry[];
    try {
      entries = await listEntries(zip);
    } catch (error) {
      throw new ArchiveRefusedError(label, [`Its table of contents is damaged (${(error as Error).message}).`]);
    }

    // Pass 1: what the archive declares.
    const problems: string[] = [];
    let declared = 0;
    let files = 0;
    for (const entry of entries) {
      const name = entryName(entry);
      const unsafe = unsafeEntryName(name);
      if (unsafe) problems.push(`Entry ${shown(name)} ${unsafe}.`);
      if (isSymlink(entry)) problems.push(`Entry ${shown(name)} is a symbolic link.`);
      if (name.endsWith("/")) continue;
      files++;
      declared += entry.uncompressedSize;
      const ratio = entry.uncompressedSize / Math.max(entry.compressedSize, 1);
      if (entry.uncompressedSize >= limits.ratioFloorBytes && ratio > limits.maxRatio) {
        problems.push(
          `Entry ${shown(name)} declares ${formatBytes(entry.uncompressedSize)} packed into ` +
            `${formatBytes(entry.compressedSize)} (ratio ${Math.round(ratio)}:1, the limit is ${limits.maxRatio}:1): ` +
            "this looks like a zip bomb.",
        );
      }
    }
    if (budget.bytes + declared > limits.maxTotalBytes) {
      problems.push(
        `It would unpack to ${formatBytes(budget.bytes + declared)} in all; the limit is ` +
          `${formatBytes(limits.maxTotalBytes)}.`,
      );
    }
    if (budget.files + files > limits.maxFiles) {
      problems.push(`It holds ${files} files; one upload may hold at most ${limits.maxFiles}.`);
    }
    if (problems.length) throw new ArchiveRefusedError(label, list(problems));

    // Pass 2: what the archive really holds.
    const out: UnpackedFile[] = [];
    for (const entry of entries) {
      const name = entryName(entry);
      if (name.endsWith("/")) continue;
      budget.files++;
      if (entry.isEncrypted()) {
        out.push({ name, bytes: entry.uncompressedSize, refused: "Encrypted entries cannot be read." });
        continue;
      }
      if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8) {
        out.push({
          name,
          bytes: entry.uncompressedSize,
          refused: `Unsupported compression method ${entry.compressionMethod} (only stored and deflate).`,
        });
        continue;
      }
      if (entry.uncompressedSize > limits.maxFileBytes) {
        out.push({
          name,
          bytes: entry.uncompressedSize,
          refused: `The file is ${formatBytes(entry.uncompressedSize)}; the limit is ${formatBytes(limits.maxFileBytes)}.`,
        });
        continue;
      }
      const dest = options.nextPath();
      const result = await inflateEntry(zip, entry, name, label, dest, limits, budget, () => written.push(dest));
      out.push(result);
    }
    return out;
  } catch (error) {
    await Promise.all(written.map((f) => rm(f, { force: true })));
    throw error;
  } finally {
    zip.close();
  }
}

async function inflateEntry(
  zip: yauzl.ZipFile,
  entry: yauzl.Entry,
  name: string,
  label: string,
  dest: string,
  limits: BulkLimits,
  budget: Budget,
  onCreate: () => void,
): Promise<UnpackedFile> {
  let stream;
  try {
    stream = await zip.openReadStreamPromise(entry);
  } catch (error) {
    return { name, bytes: entry.uncompressedSize, refused: `The entry cannot be read (${(error as Error).message}).` };
  }
  const hash = createHash("sha256");
  let crc = 0;
  let count = 0;
  let head: Buffer | null = Buffer.alloc(0);
  let format: "jpeg" | "png" | "dicom" | undefined;
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  const bomb = (what: string) =>
    new ArchiveRefusedError(label, [`Entry ${shown(name)} ${what}: refused as a zip bomb.`]);
  try {
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        count += chunk.length;
        budget.bytes += chunk.length;
        // yauzl stops an entry that inflates past its declared size too; these counts do not rely on it.
        if (count > entry.uncompressedSize) {
          throw bomb(`inflates to more than the ${formatBytes(entry.uncompressedSize)} it declares`);
        }
        if (budget.bytes > limits.maxTotalBytes)
          throw bomb(`takes the upload past ${formatBytes(limits.maxTotalBytes)}`);
        if (count >= limits.ratioFloorBytes && count / Math.max(entry.compressedSize, 1) > limits.maxRatio) {
          throw bomb(`inflates more than ${limits.maxRatio} times`);
        }
        hash.update(chunk);
        crc = crc32(chunk, crc);
        if (head) {
          head = Buffer.concat([head, chunk]);
          if (head.length < HEAD_BYTES) continue;
          const kind = classifyFile(head);
          if (!kind.ok) return { name, bytes: entry.uncompressedSize, refused: kind.reason };
          format = kind.format;
          handle = await open(dest, "wx", 0o600);
          onCreate();
          await handle.write(head);
          head = null;
        } else {
          await handle!.write(chunk);
        }
      }
    } catch (error) {
      if (error instanceof ArchiveRefusedError) throw error;
      const message = (error as Error).message ?? String(error);
      if (/too many bytes/i.test(message)) {
        throw bomb(`inflates to more than the ${formatBytes(entry.uncompressedSize)} it declares`);
      }
      if (/not enough bytes/i.test(message)) throw bomb("inflates to less than it declares");
      return { name, bytes: count, refused: `The entry is damaged (${message}).` };
    }
    if (head) {
      // Smaller than HEAD_BYTES: classify what there is.
      const kind = classifyFile(head);
      if (!kind.ok) return { name, bytes: count, refused: kind.reason };
      format = kind.format;
      handle = await open(dest, "wx", 0o600);
      onCreate();
      await handle.write(head);
    }
    if (count !== entry.uncompressedSize) {
      throw bomb("inflates to a size other than the one it declares");
    }
    if (crc >>> 0 !== entry.crc32 >>> 0) {
      await handle?.close();
      handle = undefined;
      await rm(dest, { force: true });
      return { name, bytes: count, refused: "The entry is damaged (its checksum does not match)." };
    }
    return { name, path: dest, bytes: count, sha256: hash.digest("hex"), format };
  } finally {
    stream.destroy();
    await handle?.close();
  }
}
