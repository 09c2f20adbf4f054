// Why a film was not added, in words for the user; the API maps each type to a status (lib/api/errors.ts).
import { UserFacingError } from "@/lib/errors";
import type { ScanErrorCode } from "@/lib/image";

export class DuplicateScanError extends UserFacingError {
  constructor(
    readonly existingScanId: string,
    acquiredAt: Date | null,
    /** The stored copy was withdrawn: the message says how to get it back instead. */
    readonly withdrawn = false,
  ) {
    const which =
      `scan ${existingScanId}` + `${acquiredAt ? `, acquired ${acquiredAt.toISOString().slice(0, 10)}` : ""}`;
    super(
      withdrawn
        ? `This image was stored for this patient and then withdrawn (${which}). Nothing was added: ask an admin to ` +
            "restore the withdrawn scan, or to purge it first if it should be uploaded afresh."
        : `This image is already stored for this patient (${which}). Nothing was added.`,
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

export const WITHDRAWN_NOT_ASSESSED =
  "This scan was withdrawn: it has no neighbours or heatmap until an admin restores it.";

/** The scan named does not exist (never did, or was purged). The API answers 404. */
export class UnknownScanError extends UserFacingError {
  constructor() {
    super("This scan does not exist.");
    this.name = "UnknownScanError";
  }
}

/**
 * The scan exists but is not in a state that allows this (purging a scan that was not withdrawn, withdrawing a
 * reference film, asking a withdrawn scan for its neighbours). The API answers 409.
 */
export class ScanStateError extends UserFacingError {
  constructor(message: string) {
    super(message);
    this.name = "ScanStateError";
  }
}
