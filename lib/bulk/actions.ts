"use server";

import { defineAction } from "@/lib/actions/define-action";
import { serverAction } from "@/lib/actions/server-action";
import { db } from "@/lib/db/client";
import { bulkJobInput, createBulkInput, submitBulkInput } from "./schemas";
import { cancelJob, checkDraft, createDraft, submitJob } from "./service";

const admins = ["admin"] as const;

/** Declares the files of a bulk upload; the browser then sends them to /api/bulk/{jobId}/upload. */
export const createBulkUploadAction = serverAction(
  defineAction({
    name: "bulk.create",
    roles: admins,
    input: createBulkInput,
    handler: (input, ctx) => createDraft(db(), input, ctx),
  }),
);

/** Runs every check on the received files; the job page then lists the outcome per file. */
export const checkBulkUploadAction = serverAction(
  defineAction({
    name: "bulk.check",
    roles: admins,
    input: bulkJobInput,
    handler: (input, ctx) => checkDraft(db(), input.jobId, ctx),
    revalidate: (input) => ["/admin/bulk", `/admin/bulk/${input.jobId}`],
  }),
);

export const submitBulkUploadAction = serverAction(
  defineAction({
    name: "bulk.submit",
    roles: admins,
    input: submitBulkInput,
    handler: (input, ctx) => submitJob(db(), input, ctx),
    revalidate: (input) => ["/admin/bulk", `/admin/bulk/${input.jobId}`, "/patients"],
  }),
);

export const cancelBulkUploadAction = serverAction(
  defineAction({
    name: "bulk.cancel",
    roles: admins,
    input: bulkJobInput,
    handler: (input, ctx) => cancelJob(db(), input.jobId, ctx),
    revalidate: (input) => ["/admin/bulk", `/admin/bulk/${input.jobId}`],
  }),
);
