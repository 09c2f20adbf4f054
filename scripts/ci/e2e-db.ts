// Databases made for one end-to-end run on the server that DATABASE_URL names, and removed after it.
import pg from "pg";

const SAFE_NAME = /^[a-z_][a-z0-9_]*$/;

/** The URL of database `name` on the server of `url`. */
export function databaseUrl(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

async function run(serverUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Creates database `name` (dropping a leftover of the same name first) and returns its URL. */
export async function createDatabase(serverUrl: string, name: string): Promise<string> {
  await dropDatabase(serverUrl, name);
  await run(serverUrl, `CREATE DATABASE "${name}"`);
  return databaseUrl(serverUrl, name);
}

export async function dropDatabase(serverUrl: string, name: string): Promise<void> {
  if (!SAFE_NAME.test(name)) throw new Error(`unsafe database name ${name}`);
  await run(serverUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
}
