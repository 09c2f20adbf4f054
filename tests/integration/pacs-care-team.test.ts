// Patients created from PACS files join the care team RADTRACK_PACS_CARE_TEAM names: created automatically
// (RADTRACK_PACS_CREATE_PATIENTS) or by an admin's "create from the file"; audited as any addition to a team. A name
// that matches no team creates the patient without one; no name, no team (the default, as before).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { ActionContext } from "@/lib/actions/define-action";
import { hashPassword } from "@/lib/auth/password";
import { loadConfig } from "@/lib/config";
import { confirmPending } from "@/lib/dicomweb/pending";
import { receiveInstances, type ReceiveSettings } from "@/lib/dicomweb/receive";
import { corpusPath } from "@/tests/support/image/corpus";
import { FixtureDir } from "@/tests/support/image/dcmtk";
import { stopJobQueue } from "@/lib/jobs/boss";
import { createTestDatabase, type TestDatabase } from "@/tests/support/test-database";

describe("care team of patients created from PACS files", () => {
  let t: TestDatabase;
  let fx: FixtureDir;
  let dataDir: string;
  let teamId: string;
  let admin: ActionContext;
  const origin = { via: "stow" as const, remote: "stow:test" };
  const settings = (careTeam: string | undefined, createPatients = true): ReceiveSettings => ({
    filters: { modalities: ["CR", "DX"], aeTitles: [], institutions: [] },
    createPatients,
    issuer: undefined,
    careTeam,
  });

  async function film(name: string, corpus: string, patientId: string) {
    await fx.img2dcm(corpusPath(corpus), name, {
      PatientID: patientId,
      PatientName: `Team^${patientId}`,
      Modality: "DX",
      BodyPartExamined: "CHEST",
      ViewPosition: "PA",
      StudyDate: "20261201",
    });
    return fx.read(name);
  }

  const teamsOf = async (mrn: string) => {
    const p = await t.db.patient.findUniqueOrThrow({ where: { mrn }, include: { careTeams: true } });
    return p.careTeams.map((c) => c.teamId);
  };

  beforeAll(async () => {
    vi.spyOn(console, "warn").mockImplementation(() => {});
    vi.spyOn(console, "log").mockImplementation(() => {});
    dataDir = await mkdtemp(path.join(tmpdir(), "radtrack-pacs-team-"));
    process.env.RADTRACK_DATA_DIR = dataDir;
    t = await createTestDatabase();
    fx = await FixtureDir.create();
    teamId = (await t.db.careTeam.create({ data: { name: "Ward 7" } })).id;
    const u = await t.db.user.create({
      data: {
        email: "team-admin@example.test",
        name: "Admin",
        role: "admin",
        passwordHash: await hashPassword("pw-1234567"),
      },
    });
    admin = { actor: { id: u.id, email: u.email, name: u.name, role: "admin" }, ip: "198.51.100.3" };
  });

  afterAll(async () => {
    await stopJobQueue();
    await t?.close();
    await fx?.remove();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("a patient created automatically joins the named team; an unknown name or none gives no team", async () => {
    const ctx = { actor: null, ip: null };
    const [joined] = await receiveInstances(
      t.db,
      [await film("a.dcm", "nih00021", "T-1")],
      origin,
      settings("Ward 7"),
      ctx,
    );
    expect(joined!.outcome).toBe("ingested");
    expect(await teamsOf("T-1")).toEqual([teamId]);
    const audit = await t.db.auditEvent.findFirstOrThrow({
      where: { action: "care_team.patient_added", patientId: joined!.patientId },
    });
    expect(audit).toMatchObject({ targetType: "care_team", targetId: teamId, details: { via: "dicomweb" } });

    const [unknown] = await receiveInstances(
      t.db,
      [await film("b.dcm", "nih00022", "T-2")],
      origin,
      settings("Ward 9"),
      ctx,
    );
    expect(unknown!.outcome).toBe("ingested");
    expect(await teamsOf("T-2")).toEqual([]);
    expect(console.warn).toHaveBeenCalledWith(
      expect.stringMatching(/RADTRACK_PACS_CARE_TEAM names no care team \("Ward 9"\)/),
    );

    const [none] = await receiveInstances(
      t.db,
      [await film("c.dcm", "nih00023", "T-3")],
      origin,
      settings(undefined),
      ctx,
    );
    expect(none!.outcome).toBe("ingested");
    expect(await teamsOf("T-3")).toEqual([]);
  });

  it("a patient an admin creates from a waiting file joins the named team", async () => {
    const [waiting] = await receiveInstances(
      t.db,
      [await film("d.dcm", "nih00024", "T-4")],
      origin,
      settings("Ward 7", false),
      { actor: null, ip: null },
    );
    expect(waiting!.outcome).toBe("pending");
    const held = await t.db.dicomwebPending.findFirstOrThrow({ where: { dicomPatientId: "T-4" } });
    const cfg = loadConfig({ NODE_ENV: "test", RADTRACK_PACS_CARE_TEAM: "Ward 7", RADTRACK_DATA_DIR: dataDir });
    const decided = await confirmPending(t.db, { id: held.id, choice: "create" }, admin, cfg);
    expect(decided.outcome).toBe("ingested");
    expect(await teamsOf("T-4")).toEqual([teamId]);
  });
});
