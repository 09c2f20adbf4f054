// Test-only: a throw-away folder in the corpus format holding chosen rows of the real corpus (images symlinked,
// never copied) plus hand-made rows, so import tests run on real X-rays in seconds instead of minutes.
import { mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { config } from "@/lib/config";
import { csvLine, parseCsv } from "@/lib/csv";
import { METADATA_FILE } from "@/lib/reference/metadata";

export function realCorpusDir(): string {
  const cfg = config();
  return cfg.corpusDir ?? path.join(cfg.sharedDir, "data", "cxr");
}

export interface CorpusTable {
  header: string[];
  /** Raw fields of every row, keyed by id. */
  rows: Map<string, string[]>;
  /** Column index by name. */
  col(name: string): number;
}

export async function readCorpusTable(dir: string = realCorpusDir()): Promise<CorpusTable> {
  const [head, ...body] = parseCsv(await readFile(path.join(dir, METADATA_FILE), "utf8"));
  if (!head) throw new Error(`empty ${METADATA_FILE} in ${dir}`);
  const header = head.fields;
  const rows = new Map(body.map((r) => [r.fields[0]!, r.fields]));
  return {
    header,
    rows,
    col(name) {
      const i = header.indexOf(name);
      if (i < 0) throw new Error(`no column ${name}`);
      return i;
    },
  };
}

/**
 * A small adult library of both sources, enough for 36 neighbours in every class: every 20th adult NIH film (up to
 * `nih`) and the first adult COVID cohort films (up to `coh`), in id order.
 */
export function smallAdultLibrary(table: CorpusTable, counts: { nih: number; coh: number }): string[] {
  const ids = [...table.rows.keys()].sort();
  const adult = (id: string) => table.rows.get(id)![table.col("age_group")] === "adult";
  return [
    ...ids
      .filter((id) => id.startsWith("nih") && adult(id))
      .filter((_, i) => i % 20 === 0)
      .slice(0, counts.nih),
    ...ids.filter((id) => id.startsWith("coh") && adult(id)).slice(0, counts.coh),
  ];
}

export interface SubsetSpec {
  /** Rows of the real corpus to take as they are (image symlinked). */
  ids: readonly string[];
  /** Extra rows: field values by column name (others blank); `image` names a real corpus id to link as <id>.jpg. */
  extra?: { values: Record<string, string>; image?: string; bytes?: Buffer }[];
}

export interface CorpusSubset {
  dir: string;
  remove(): Promise<void>;
}

export async function makeCorpusSubset(table: CorpusTable, spec: SubsetSpec): Promise<CorpusSubset> {
  const source = realCorpusDir();
  const dir = await mkdtemp(path.join(os.tmpdir(), "radtrack-corpus-"));
  const lines = [csvLine(table.header, "keep")];
  for (const id of spec.ids) {
    const fields = table.rows.get(id);
    if (!fields) throw new Error(`no corpus row ${id}`);
    lines.push(csvLine(fields, "keep"));
    await symlink(path.join(source, `${id}.jpg`), path.join(dir, `${id}.jpg`));
  }
  for (const row of spec.extra ?? []) {
    lines.push(
      csvLine(
        table.header.map((name) => row.values[name] ?? ""),
        "keep",
      ),
    );
    const id = row.values.id!;
    if (row.image) await symlink(path.join(source, `${row.image}.jpg`), path.join(dir, `${id}.jpg`));
    if (row.bytes) await writeFile(path.join(dir, `${id}.jpg`), row.bytes);
  }
  await writeFile(path.join(dir, METADATA_FILE), lines.join(""));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
