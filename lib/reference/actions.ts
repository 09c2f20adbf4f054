"use server";

import { defineAction } from "@/lib/actions/define-action";
import { serverAction } from "@/lib/actions/server-action";
import { db } from "@/lib/db/client";
import { relabelReference } from "./labels";
import { relabelReferenceInput } from "./schemas";

export const relabelReferenceAction = serverAction(
  defineAction({
    name: "reference.relabel",
    roles: ["admin"],
    input: relabelReferenceInput,
    handler: (input, ctx) => relabelReference(db(), input, ctx),
    revalidate: () => ["/admin/reference", "/admin/status", "/patients"],
  }),
);
