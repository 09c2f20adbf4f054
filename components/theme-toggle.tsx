"use client";

// Dark is the default for reading radiographs; the choice is kept in a cookie so the server renders it directly
// (no flash of the other theme).
import { useState } from "react";

export function ThemeToggle({ initial }: { initial: "dark" | "light" }) {
  const [theme, setTheme] = useState(initial);
  const next = theme === "dark" ? "light" : "dark";
  return (
    <button
      type="button"
      className="link-button theme-toggle"
      onClick={() => {
        document.documentElement.dataset.theme = next;
        document.cookie = `radtrack-theme=${next}; path=/; max-age=31536000; samesite=lax`;
        setTheme(next);
      }}
    >
      {next === "light" ? "Light theme" : "Dark theme"}
    </button>
  );
}
