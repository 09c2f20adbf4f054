"use server";

import { defineAction } from "@/lib/actions/define-action";
import { serverAction } from "@/lib/actions/server-action";
import { db } from "@/lib/db/client";
import { createUserInput, resetPasswordInput, setDisabledInput, unlockUserInput } from "./schemas";
import { createUser, resetPassword, setUserDisabled, unlockUser } from "./service";

export const createUserAction = serverAction(
  defineAction({
    name: "users.create",
    roles: ["admin"],
    input: createUserInput,
    handler: (input, ctx) => createUser(db(), input, ctx),
    revalidate: () => ["/admin/users"],
  }),
);

export const setUserDisabledAction = serverAction(
  defineAction({
    name: "users.setDisabled",
    roles: ["admin"],
    input: setDisabledInput,
    handler: (input, ctx) => setUserDisabled(db(), input, ctx),
    revalidate: () => ["/admin/users"],
  }),
);

export const resetPasswordAction = serverAction(
  defineAction({
    name: "users.resetPassword",
    roles: ["admin"],
    input: resetPasswordInput,
    handler: (input, ctx) => resetPassword(db(), input, ctx),
    revalidate: () => ["/admin/users"],
  }),
);

export const unlockUserAction = serverAction(
  defineAction({
    name: "users.unlock",
    roles: ["admin"],
    input: unlockUserInput,
    handler: (input, ctx) => unlockUser(db(), input, ctx),
    revalidate: () => ["/admin/users"],
  }),
);
