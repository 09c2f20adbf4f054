"use server";

import { defineAction } from "@/lib/actions/define-action";
import { serverAction } from "@/lib/actions/server-action";
import { db } from "@/lib/db/client";
import { createTokenInput, revokeTokenInput } from "./schemas";
import { createToken, revokeToken } from "./service";

export const createTokenAction = serverAction(
  defineAction({
    name: "tokens.create",
    roles: ["admin"],
    input: createTokenInput,
    handler: async (input, ctx) => {
      const created = await createToken(db(), input, ctx);
      // The secret goes back to the admin's browser once and is never readable again.
      return {
        id: created.id,
        token: created.token,
        prefix: created.prefix,
        userEmail: created.userEmail,
        name: created.name,
      };
    },
    revalidate: () => ["/admin/tokens"],
  }),
);

export const revokeTokenAction = serverAction(
  defineAction({
    name: "tokens.revoke",
    roles: ["admin"],
    input: revokeTokenInput,
    handler: (input, ctx) => revokeToken(db(), input, ctx),
    revalidate: () => ["/admin/tokens"],
  }),
);
