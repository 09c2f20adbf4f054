"use server";

import { defineAction } from "@/lib/actions/define-action";
import { serverAction } from "@/lib/actions/server-action";
import { db } from "@/lib/db/client";
import { confirmPending, discardPending } from "./pending";
import { confirmPendingInput, discardPendingInput, saveSettingsInput } from "./schemas";
import { saveSettings } from "./settings";
import { requestPoll } from "./worker";

export const confirmPendingAction = serverAction(
  defineAction({
    name: "dicomweb.confirm",
    roles: ["admin"],
    input: confirmPendingInput,
    handler: (input, ctx) => confirmPending(db(), input, ctx),
    revalidate: () => ["/admin/integration", "/patients"],
  }),
);

export const discardPendingAction = serverAction(
  defineAction({
    name: "dicomweb.discard",
    roles: ["admin"],
    input: discardPendingInput,
    handler: (input, ctx) => discardPending(db(), input.id, ctx),
    revalidate: () => ["/admin/integration"],
  }),
);

export const saveDicomwebSettingsAction = serverAction(
  defineAction({
    name: "dicomweb.saveSettings",
    roles: ["admin"],
    input: saveSettingsInput,
    handler: async (input, ctx) => {
      await saveSettings(db(), input, ctx);
      // Poll at once with the new settings; the queue being down only delays it to the next scheduled poll.
      if (input.enabled) await requestPoll(0).catch(() => false);
    },
    revalidate: () => ["/admin/integration", "/admin/status"],
  }),
);
