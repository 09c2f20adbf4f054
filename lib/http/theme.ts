import { cookies } from "next/headers";

export type Theme = "dark" | "light";

export async function currentTheme(): Promise<Theme> {
  return (await cookies()).get("radtrack-theme")?.value === "light" ? "light" : "dark";
}
