// Why a film was not added, in words for the user; the API maps each type to a status (lib/api/errors.ts).
import { UserFacingError } from "@/lib/errors";
import type { ScanErrorCode } from "@/lib/image";

export class DuplicateScanError extends UserFacingError {
  constructor(
    readonly existingScanId: string,
    acquiredAt: Date | null,
  ) {
    super(
      `This image is already stored for this patient (scan ${existingScanId}` +
        `${acquiredAt ? `, acquired ${acquiredAt.toISOString().slice(0, 10)}` : ""}). Nothing was added.`,
    );
    this.name = "DuplicateScanError";
  }
}

/** A file refused by validation: the message is for the user, the code lets the API pick its status. */
export class ScanRejectedError extends UserFacingError {
  constructor(
    readonly code: ScanErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "ScanRejectedError";
  }
}

export const NO_SUCH_PATIENT = "This patient does not exist.";
