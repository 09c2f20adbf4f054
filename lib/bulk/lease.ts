// Which worker processes a bulk job: the one holding the lease on its row. A worker renews the lease while it works;
// a lease that ran out, or whose holder is a dead process on this machine, may be taken over. Taking it is a
// compare-and-set on the holder seen, so two workers never both think they hold it.
//
// Each holder gets a token of its own (process + a random suffix): two holders in one process (a worker's slice and
// an administrator's cancel, or the sweeper) must not take each other for the owner, nor release each other's lease.
import { randomUUID } from "node:crypto";
import os from "node:os";
import type { Db } from "@/lib/db/client";

export const LEASE_MS = 20_000;

const BOOT = randomUUID().slice(0, 8);
/** This process: host, pid and a random boot id (a restarted container may reuse the pid). */
export const LEASE_OWNER = `${os.hostname()}:${process.pid}:${BOOT}`;

export type LeaseToken = string & { readonly __lease: unique symbol };

/** A holder's own token: also the claim of a batch of files (claims.ts). */
export function newToken(): LeaseToken {
  return `${LEASE_OWNER}:${randomUUID().slice(0, 8)}` as LeaseToken;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** True when the lease holder is a process of this machine that no longer runs. */
export function holderIsDead(owner: string | null): boolean {
  if (!owner) return true;
  const [host, pidText, boot] = owner.split(":");
  if (host !== os.hostname() || boot === BOOT) return false;
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  return pid === process.pid || !alive(pid);
}

export function leaseIsFree(job: { leaseOwner: string | null; leaseUntil: Date | null }, now = new Date()): boolean {
  return !job.leaseOwner || !job.leaseUntil || job.leaseUntil < now || holderIsDead(job.leaseOwner);
}

export type LeaseState = "queued" | "running" | "cancelled";

export interface Lease {
  state: LeaseState;
  token: LeaseToken;
}

/** Takes the lease when it is free and the job is in one of `states`: the job's state and this holder's token. */
export async function acquireLease(db: Db, jobId: string, states: readonly LeaseState[]): Promise<Lease | null> {
  const job = await db.job.findUnique({
    where: { id: jobId },
    select: { status: true, leaseOwner: true, leaseUntil: true, finishedAt: true },
  });
  // A finished job (a cancelled one already closed) has nothing left for anyone.
  if (!job || job.finishedAt || !(states as readonly string[]).includes(job.status)) return null;
  if (!leaseIsFree(job)) return null;
  const token = newToken();
  const taken = await db.job.updateMany({
    where: { id: jobId, leaseOwner: job.leaseOwner, status: job.status },
    data: { leaseOwner: token, leaseUntil: new Date(Date.now() + LEASE_MS) },
  });
  return taken.count === 1 ? { state: job.status as LeaseState, token } : null;
}

/** Extends our lease; returns the job's status, or null when the lease is no longer ours. */
export async function renewLease(db: Db, jobId: string, owner: LeaseToken): Promise<string | null> {
  const renewed = await db.job.updateMany({
    where: { id: jobId, leaseOwner: owner },
    data: { leaseUntil: new Date(Date.now() + LEASE_MS) },
  });
  if (renewed.count !== 1) return null;
  return (await db.job.findUnique({ where: { id: jobId }, select: { status: true } }))?.status ?? null;
}

export async function releaseLease(db: Db, jobId: string, owner: LeaseToken): Promise<void> {
  await db.job.updateMany({ where: { id: jobId, leaseOwner: owner }, data: { leaseOwner: null, leaseUntil: null } });
}
