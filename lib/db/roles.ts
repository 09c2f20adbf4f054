// Two database roles on PostgreSQL: the migration role owns the schema, the application role (DATABASE_URL) may
// only append to and read the audit log. An application role that owned audit_events could
// `ALTER TABLE audit_events DISABLE TRIGGER USER` and rewrite history; this one cannot (it is not the owner, and it
// holds no UPDATE, DELETE or TRUNCATE on it). The grants are re-applied after every migration run, so tables added
// by later migrations are covered. README.md shows the roles to create.
import type pg from "pg";

/** The role name in a connection URL, or null when the URL names none (libpq would use the OS user). */
export function roleOf(connectionString: string): string | null {
  try {
    const user = decodeURIComponent(new URL(connectionString).username);
    return user || null;
  } catch {
    return null;
  }
}

/**
 * Tables the application changes the structure of at run time: it builds and drops the per-model HNSW indexes of
 * `embeddings` (lib/db/vector-sql.ts), which PostgreSQL allows only to the table's owner.
 */
const APP_OWNED_TABLES = ["embeddings"] as const;

export async function grantApplicationRole(client: pg.Client, appRole: string): Promise<void> {
  const app = client.escapeIdentifier(appRole);
  const { rows } = await client.query<{ db: string; me: string }>(
    "SELECT current_database() AS db, current_user::text AS me",
  );
  const { db, me } = rows[0]!;
  if (me === appRole) return; // one role for everything: nothing to separate
  const statements = [
    // pg-boss creates and migrates its own schema (pgboss) at start.
    `GRANT CREATE ON DATABASE ${client.escapeIdentifier(db)} TO ${app}`,
    `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${app}`,
    `GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO ${app}`,
    `REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON "audit_events" FROM ${app}`,
    `REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON "_prisma_migrations" FROM ${app}`,
    // Owning a table and building an index on it both need CREATE on its schema (PostgreSQL 15+ gives PUBLIC
    // none). Creating tables of its own gives the app no power over the owner's.
    `GRANT CREATE ON SCHEMA public TO ${app}`,
    ...APP_OWNED_TABLES.map((table) => `ALTER TABLE "${table}" OWNER TO ${app}`),
  ];
  for (const sql of statements) {
    try {
      await client.query(sql);
    } catch (error) {
      throw new Error(
        `Could not give the application role "${appRole}" its rights (${sql}): ${(error as Error).message}. ` +
          `The migration role "${me}" must be a member of "${appRole}" (GRANT ${appRole} TO ${me}); see README.md.`,
      );
    }
  }
}
