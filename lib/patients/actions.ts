"use server";

import { defineAction } from "@/lib/actions/define-action";
import { serverAction } from "@/lib/actions/server-action";
import { db } from "@/lib/db/client";
import { breakGlass, breakGlassInput } from "./access";
import { createPatientInput, updatePatientInput } from "./schemas";
import { createPatient, updatePatient } from "./service";

export const createPatientAction = serverAction(
  defineAction({
    name: "patients.create",
    roles: ["admin", "clinician"],
    input: createPatientInput,
    handler: (input, ctx) => createPatient(db(), input, ctx),
    // No revalidation: the form goes on to the patient's page, which is rendered per request; a revalidation made
    // the router render that page a second time (a second patient.viewed in the audit log).
  }),
);

export const updatePatientAction = serverAction(
  defineAction({
    name: "patients.update",
    roles: ["admin", "clinician"],
    input: updatePatientInput,
    handler: (input, ctx) => updatePatient(db(), input, ctx),
    // As for creation: the form goes on to the patient's page, rendered (and audited) once.
  }),
);

export const breakGlassAction = serverAction(
  defineAction({
    name: "patients.breakGlass",
    roles: ["admin", "clinician"],
    input: breakGlassInput,
    handler: (input, ctx) => breakGlass(db(), input, ctx),
    revalidate: (input) => [`/patients/${input.patientId}`],
  }),
);
