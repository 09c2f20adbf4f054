"use server";

import { defineAction } from "@/lib/actions/define-action";
import { serverAction } from "@/lib/actions/server-action";
import { db } from "@/lib/db/client";
import { createTeamInput, deleteTeamInput, setMemberInput, setPatientInput } from "./schemas";
import { createTeam, deleteTeam, setTeamMember, setTeamPatient } from "./service";

export const createTeamAction = serverAction(
  defineAction({
    name: "careTeams.create",
    roles: ["admin"],
    input: createTeamInput,
    handler: (input, ctx) => createTeam(db(), input, ctx),
    revalidate: () => ["/admin/teams"],
  }),
);

export const deleteTeamAction = serverAction(
  defineAction({
    name: "careTeams.delete",
    roles: ["admin"],
    input: deleteTeamInput,
    handler: (input, ctx) => deleteTeam(db(), input, ctx),
    revalidate: () => ["/admin/teams", "/patients"],
  }),
);

export const setTeamMemberAction = serverAction(
  defineAction({
    name: "careTeams.setMember",
    roles: ["admin"],
    input: setMemberInput,
    handler: (input, ctx) => setTeamMember(db(), input, ctx),
    revalidate: () => ["/admin/teams", "/patients"],
  }),
);

export const setTeamPatientAction = serverAction(
  defineAction({
    name: "careTeams.setPatient",
    roles: ["admin"],
    input: setPatientInput,
    handler: (input, ctx) => setTeamPatient(db(), input, ctx),
    revalidate: () => ["/admin/teams", "/patients"],
  }),
);
