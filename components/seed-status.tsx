import { etaText, type SeedProgress } from "@/lib/reference/seed-progress";

const PHASE_TEXT = {
  reference: "films of the reference library imported",
  demo: "demo patients' films added",
} as const;

/** One sentence on the first-start preparation: what is being prepared, how far it is, and about how long is left. */
export function SeedProgressLine({ progress }: { progress: SeedProgress }) {
  if (progress.phase === "done") {
    return (
      <>
        Done: the reference library and the demo patients are ready (finished{" "}
        {progress.updatedAt.slice(0, 16).replace("T", " ")} UTC).
      </>
    );
  }
  if (progress.phase === "failed") {
    return <>The preparation stopped: {progress.error ?? "unknown error"} (see the server log).</>;
  }
  const pct = progress.total > 0 ? Math.floor((progress.done / progress.total) * 100) : 0;
  const eta = etaText(progress.etaSeconds);
  return (
    <>
      {progress.done} of {progress.total} {PHASE_TEXT[progress.phase]} ({pct}%){eta ? `, ${eta}` : ""}.
    </>
  );
}

export function seedIsRunning(progress: SeedProgress | null): boolean {
  return progress?.phase === "reference" || progress?.phase === "demo";
}
