// Which worker processes which file of a bulk job. Workers share a job: each claims a batch of ready files at a
// time (FOR UPDATE SKIP LOCKED, so two workers never get the same file) and renews its claims while it works. A
// claim that ran out, or whose holder is a dead process on this host, may be taken by another worker, so the
// files of a killed worker are finished by the others. The job's own lease (lease.ts) is only held to close it.
import type { Db } from "@/lib/db/client";
import { holderIsDead, LEASE_MS, type LeaseToken } from "./lease";

export interface ClaimedItem {
  id: string;
  seq: number;
  patientId: string | null;
  acquiredAt: Date | null;
  view: string | null;
  file: string;
}

/** Holders with live claims on the job's ready files, other than `except`; dead processes of this host left out. */
export async function claimHolders(db: Db, jobId: string, except?: LeaseToken): Promise<string[]> {
  return (await unexpiredHolders(db, jobId)).filter((holder) => holder !== except && !holderIsDead(holder));
}

async function unexpiredHolders(db: Db, jobId: string): Promise<string[]> {
  const rows = await db.$queryRaw<{ claimed_by: string }[]>`
    SELECT DISTINCT "claimed_by" FROM "bulk_items"
    WHERE "job_id" = ${jobId}::uuid AND "status" = 'ready' AND "claimed_until" > now()`;
  return rows.map((r) => r.claimed_by);
}

/** Claims up to `limit` ready files nobody else is working on, in file order. */
export async function claimItems(db: Db, jobId: string, token: LeaseToken, limit: number): Promise<ClaimedItem[]> {
  const dead = (await unexpiredHolders(db, jobId)).filter((holder) => holderIsDead(holder));
  const rows = await db.$queryRaw<
    {
      id: string;
      seq: number;
      patient_id: string | null;
      acquired_at: Date | null;
      view: string | null;
      file: string;
    }[]
  >`
    UPDATE "bulk_items" AS b
    SET "claimed_by" = ${token}, "claimed_until" = now() + ${LEASE_MS} * interval '1 millisecond'
    FROM (
      SELECT "id" FROM "bulk_items"
      WHERE "job_id" = ${jobId}::uuid AND "status" = 'ready'
        AND ("claimed_until" IS NULL OR "claimed_until" <= now() OR "claimed_by" = ANY(${dead}::text[]))
      ORDER BY "seq" LIMIT ${limit}
      FOR UPDATE SKIP LOCKED
    ) AS c
    WHERE b."id" = c."id"
    RETURNING b."id", b."seq", b."patient_id", b."acquired_at", b."view", b."file"`;
  return rows
    .map((r) => ({
      id: r.id,
      seq: r.seq,
      patientId: r.patient_id,
      acquiredAt: r.acquired_at,
      view: r.view,
      file: r.file,
    }))
    .sort((a, b) => a.seq - b.seq);
}

/** Extends this holder's claims on files it has not finished. */
export async function renewClaims(db: Db, jobId: string, token: LeaseToken): Promise<void> {
  await db.$executeRaw`
    UPDATE "bulk_items" SET "claimed_until" = now() + ${LEASE_MS} * interval '1 millisecond'
    WHERE "job_id" = ${jobId}::uuid AND "claimed_by" = ${token} AND "status" = 'ready'`;
}

/** Gives back the files this holder claimed and did not finish (the end of a slice), for any worker to take. */
export async function releaseClaims(db: Db, jobId: string, token: LeaseToken): Promise<void> {
  await db.$executeRaw`
    UPDATE "bulk_items" SET "claimed_by" = NULL, "claimed_until" = NULL
    WHERE "job_id" = ${jobId}::uuid AND "claimed_by" = ${token} AND "status" = 'ready'`;
}
