import type { Metadata } from "next";
import { currentTheme } from "@/lib/http/theme";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "Radtrack", template: "%s · Radtrack" },
  description: "Chest X-ray tracking by similarity to a labelled reference library. Decision support, not a diagnosis.",
};

export default async function RootLayout({ children }: { children: React.ReactNode }) {
  return (
    <html lang="en" data-theme={await currentTheme()}>
      <body>{children}</body>
    </html>
  );
}
