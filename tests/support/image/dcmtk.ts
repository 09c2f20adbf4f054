// DICOM fixtures made at test time by DCMTK, an independent implementation, so the decoder is tested against files
// it did not write itself. DCMTK 3.6.7 has no JPEG 2000 / HTJ2K / JPEG XL encoder: those fixtures are transcoded with
// dcmjs-codecs (the library we decode with) and say so in their test names.
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import dcmjsCodecs from "dcmjs-codecs";

const run = promisify(execFile);

export type DcmtkTool =
  "img2dcm" | "dcmdjpeg" | "dcmconv" | "dcmcjpeg" | "dcmcjpls" | "dcmcrle" | "dcmodify" | "dump2dcm";

export async function dcmtk(tool: DcmtkTool, args: readonly string[]): Promise<void> {
  try {
    await run(tool, [...args], { timeout: 60_000 });
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === "ENOENT") {
      throw new Error(
        `DCMTK's "${tool}" was not found on PATH. Install DCMTK (Debian/Ubuntu: apt-get install dcmtk); ` +
          "the DICOM tests build their fixtures with it and never skip.",
      );
    }
    throw new Error(`${tool} ${args.join(" ")} failed: ${e.stderr || e.message}`);
  }
}

export class FixtureDir {
  private constructor(readonly dir: string) {}

  static async create(): Promise<FixtureDir> {
    return new FixtureDir(await mkdtemp(path.join(tmpdir(), "radtrack-dicom-")));
  }

  file(name: string): string {
    return path.join(this.dir, name);
  }

  read(name: string): Promise<Buffer> {
    return readFile(this.file(name));
  }

  async remove(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }

  /** img2dcm wraps the JPEG bitstream unchanged (JPEG Baseline transfer syntax); `keys` become -k tag=value. */
  async img2dcm(jpegPath: string, out: string, keys: Record<string, string> = {}): Promise<string> {
    const k = Object.entries(keys).flatMap(([tag, value]) => ["-k", `${tag}=${value}`]);
    await dcmtk("img2dcm", [...k, jpegPath, this.file(out)]);
    return out;
  }

  /** Runs a DCMTK converter `tool [...flags] in out` inside this directory. */
  async convert(tool: DcmtkTool, flags: readonly string[], input: string, out: string): Promise<string> {
    await dcmtk(tool, [...flags, this.file(input), this.file(out)]);
    return out;
  }

  /** dcmodify edits in place; work on a copy so the source fixture stays as it was. */
  async modify(input: string, out: string, assignments: readonly string[]): Promise<string> {
    await writeFile(this.file(out), await this.read(input));
    await dcmtk("dcmodify", ["-nb", ...assignments.flatMap((a) => ["-m", a])].concat(this.file(out)));
    return out;
  }

  /**
   * dump2dcm builds a file from a dcmdump-style text; pixel data comes from a raw little-endian file. This is how
   * 16-bit, signed, windowed and multi-frame fixtures are made (img2dcm only writes 8-bit JPEG).
   */
  async dump2dcm(out: string, attributes: readonly string[], pixels: Uint8Array | undefined): Promise<string> {
    const lines = [...attributes];
    if (pixels) {
      await writeFile(this.file(`${out}.raw`), pixels);
      lines.push(`(7fe0,0010) OW =${this.file(`${out}.raw`)}`);
    }
    await writeFile(this.file(`${out}.dump`), lines.join("\n") + "\n");
    await dcmtk("dump2dcm", ["+te", "+Ug", this.file(`${out}.dump`), this.file(out)]);
    return out;
  }

  /** Where DCMTK has no encoder: transcode with dcmjs-codecs. */
  async transcodeWithDcmjsCodecs(input: string, out: string, transferSyntaxUid: string): Promise<string> {
    const { NativeCodecs, Transcoder } = dcmjsCodecs;
    if (!NativeCodecs.isInitialized()) await NativeCodecs.initializeAsync();
    const bytes = await this.read(input);
    const transcoder = new Transcoder(new Uint8Array(bytes).buffer);
    // rate 20 = roughly 20:1 for the lossy syntaxes; ignored by the lossless ones.
    transcoder.transcode(transferSyntaxUid, { rate: 20 });
    await writeFile(this.file(out), Buffer.from(transcoder.getDicomPart10()));
    return out;
  }
}
