// The embedded database under concurrent clients: queries with large parameters and results (many TCP reads) from
// two pools, interleaved with transactions. Without keepExtendedQueriesTogether the socket server hangs or runs a
// Bind against another connection's statement ("bind message supplies 3 parameters, but prepared statement ""
// requires 5"); pg-boss next to Prisma hit this in the bulk worker.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmbeddedDatabase, type EmbeddedDatabase } from "./embedded";

describe("embedded database with concurrent connections", () => {
  let embedded: EmbeddedDatabase;
  let pools: pg.Pool[];
  beforeAll(async () => {
    embedded = await startEmbeddedDatabase({ dataDir: null });
    pools = [0, 1].map(() => new pg.Pool({ connectionString: embedded.url, max: 5 }));
  });
  afterAll(async () => {
    await Promise.all(pools.map((p) => p.end()));
    await embedded.stop();
  });

  it("keeps each client's extended-protocol exchange together", { timeout: 60_000 }, async () => {
    const big = "x".repeat(200_000);
    let wrong = 0;
    const tasks: Promise<unknown>[] = [];
    for (let i = 0; i < 300; i++) {
      const pool = pools[i % 2]!;
      tasks.push(
        i % 3 === 0
          ? pool.query("SELECT $1::int + $2::int + $3::int AS v", [i, 1, 1]).then((r) => {
              if (r.rows[0].v !== i + 2) wrong++;
            })
          : pool
              .query("SELECT $1::int AS v, $2::text AS big, $3::text, $4::text, $5::text", [i, big, "b", "c", "d"])
              .then((r) => {
                if (r.rows[0].v !== i || r.rows[0].big !== big) wrong++;
              }),
      );
    }
    for (let i = 0; i < 60; i++) {
      tasks.push(
        (async () => {
          const client = await pools[i % 2]!.connect();
          try {
            await client.query("BEGIN");
            const r = await client.query("SELECT $1::int * 2 AS v", [i]);
            if (r.rows[0].v !== i * 2) wrong++;
            await client.query("COMMIT");
          } finally {
            client.release();
          }
        })(),
      );
    }
    const settled = await Promise.allSettled(tasks);
    expect(settled.filter((s) => s.status === "rejected")).toEqual([]);
    expect(wrong).toBe(0);
  });
});
