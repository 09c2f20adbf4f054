"use client";

// Left and right arrow keys step through the patient's scans (outside form fields).
import { useRouter } from "next/navigation";
import { useEffect } from "react";

export function ScanKeyboard({
  patientId,
  order,
  selectedId,
}: {
  patientId: string;
  order: string[];
  selectedId: string | null;
}) {
  const router = useRouter();
  useEffect(() => {
    function onKey(event: KeyboardEvent) {
      const target = event.target as HTMLElement | null;
      if (target && /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName)) return;
      if (event.key !== "ArrowLeft" && event.key !== "ArrowRight") return;
      const at = selectedId ? order.indexOf(selectedId) : order.length - 1;
      const next = order[at + (event.key === "ArrowRight" ? 1 : -1)];
      if (next) {
        event.preventDefault();
        router.push(`/patients/${patientId}?scan=${next}`, { scroll: false });
      }
    }
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [order, patientId, router, selectedId]);
  return null;
}
