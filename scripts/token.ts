// `npm run token -- <command>`: API tokens from the command line, for automation. Uses the same database as
// `npm start`: DATABASE_URL, or the embedded PGlite database under RADTRACK_DATA_DIR (which must not be in use).
//
//   create --email <user e-mail> --name <label>   prints the new token as the last line (shown only this once)
//   list                                          every token, newest first
//   revoke --id <token id>
//
// The command line has machine access, so it may mint a token for any active user; the audit log records these
// events with no actor and details { via: "cli" }.
import { parseArgs } from "node:util";
import { z } from "zod";
import type { Db } from "@/lib/db/client";
import type { EmbeddedDatabase } from "@/lib/db/embedded";
import { tokenName } from "@/lib/tokens/schemas";

// The database modules load only once the arguments are valid, so a typo is answered at once.
const load = async () => {
  const [config, client, embedded, generated, guard, service, login] = await Promise.all([
    import("@/lib/config"),
    import("@/lib/db/client"),
    import("@/lib/db/embedded"),
    import("@/lib/db/generated/client"),
    import("@/lib/db/embedded-guard"),
    import("@/lib/tokens/service"),
    import("@/lib/auth/login"),
  ]);
  return { ...config, ...client, ...embedded, Prisma: generated.Prisma, ...guard, ...service, ...login };
};
type Lib = Awaited<ReturnType<typeof load>>;

const USAGE = `Usage:
  npm run token -- create --email <user e-mail> --name <label>
  npm run token -- list
  npm run token -- revoke --id <token id>

Uses DATABASE_URL, or the embedded database under RADTRACK_DATA_DIR (default .data) when it is not set.`;

class UsageError extends Error {}

const CLI = { actor: null, ip: null, via: "cli" } as const;

function parse(argv: string[]) {
  const [command, ...rest] = argv;
  if (!command || command === "help" || command === "--help" || command === "-h") throw new UsageError("");
  const options = {
    create: { email: { type: "string" }, name: { type: "string" } },
    list: {},
    revoke: { id: { type: "string" } },
  } as const;
  if (!(command in options)) throw new UsageError(`Unknown command "${command}".`);
  let values: Record<string, string | undefined>;
  try {
    ({ values } = parseArgs({ args: rest, options: options[command as keyof typeof options], strict: true }) as {
      values: Record<string, string | undefined>;
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  return { command: command as keyof typeof options, values };
}

function required(values: Record<string, string | undefined>, name: string): string {
  const value = values[name]?.trim();
  if (!value) throw new UsageError(`Missing --${name} <${name === "id" ? "token id" : name}>.`);
  return value;
}

function createArgs(values: Record<string, string | undefined>) {
  const email = required(values, "email");
  const name = tokenName.safeParse(required(values, "name"));
  if (!name.success) throw new UsageError(name.error.issues[0]?.message ?? "Invalid --name.");
  return { email, name: name.data };
}

function revokeArgs(values: Record<string, string | undefined>) {
  const id = required(values, "id");
  if (!z.uuid().safeParse(id).success) {
    throw new UsageError(`"${id}" is not a token id; \`npm run token -- list\` shows the ids.`);
  }
  return { id };
}

async function create(lib: Lib, db: Db, args: { email: string; name: string }) {
  const email = lib.normaliseEmail(args.email);
  const user = await db.user.findFirst({ where: { email: { equals: email, mode: "insensitive" } } });
  if (!user) throw new Error(`No user has the e-mail address ${email}. Create the user under Admin > Users first.`);
  const created = await lib.createToken(db, { userId: user.id, name: args.name }, CLI);
  console.log(`Token "${created.name}" (id ${created.id}) created for ${created.userEmail} (${user.role}).`);
  console.log("It is shown only this once; store it like a password. Use it as: Authorization: Bearer <token>");
  console.log(created.token);
}

const stamp = (d: Date | null) => (d ? d.toISOString().slice(0, 16).replace("T", " ") : "-");

async function list(lib: Lib, db: Db) {
  const tokens = await lib.listTokens(db);
  if (tokens.length === 0) {
    console.log("No API tokens.");
    return;
  }
  const rows = tokens.map((t) => [
    t.id,
    t.user.email,
    t.name,
    `${t.prefix}…`,
    stamp(t.createdAt),
    stamp(t.lastUsedAt),
    t.revokedAt ? `revoked ${stamp(t.revokedAt)}` : t.user.disabled ? "user disabled" : "active",
  ]);
  const header = ["id", "user", "name", "prefix", "created", "last used", "status"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  for (const row of [header, ...rows])
    console.log(
      row
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join("  ")
        .trimEnd(),
    );
}

async function revoke(lib: Lib, db: Db, { id }: { id: string }) {
  await lib.revokeToken(db, { id }, CLI);
  console.log(`Token ${id} revoked.`);
}

async function main(): Promise<number> {
  let command: "create" | "list" | "revoke";
  let args: { email: string; name: string } | { id: string } | null = null;
  try {
    const parsed = parse(process.argv.slice(2));
    command = parsed.command;
    if (command === "create") args = createArgs(parsed.values);
    if (command === "revoke") args = revokeArgs(parsed.values);
  } catch (error) {
    if (error instanceof UsageError) {
      if (error.message) console.error(`error: ${error.message}\n`);
      console.error(USAGE);
      return error.message ? 2 : 0;
    }
    throw error;
  }
  const lib = await load();
  let embedded: EmbeddedDatabase | undefined;
  let db: Db | undefined;
  try {
    const cfg = lib.loadConfig();
    if (!cfg.databaseUrl) {
      await lib.assertEmbeddedDatabaseFree(cfg.dataDir, "create the token on the admin page (Admin > API tokens)");
      embedded = await lib.startEmbeddedDatabase({ dataDir: cfg.dataDir });
    }
    db = lib.createDb(cfg.databaseUrl ?? embedded!.url);
    if (command === "create") await create(lib, db, args as { email: string; name: string });
    else if (command === "list") await list(lib, db);
    else await revoke(lib, db, args as { id: string });
    return 0;
  } catch (error) {
    if (error instanceof lib.Prisma.PrismaClientKnownRequestError && error.code === "P2021") {
      console.error("error: the database has no api_tokens table yet. Run `npm run migrate` (or `npm start`) first.");
      return 1;
    }
    console.error(`error: ${(error as Error).message}`);
    return 1;
  } finally {
    await db?.$disconnect().catch(() => {});
    await embedded?.stop().catch(() => {});
  }
}

process.exitCode = await main();
