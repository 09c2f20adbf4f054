import type { Metadata } from "next";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "Radtrack", template: "%s · Radtrack" },
  description: "Chest X-ray tracking by similarity to a labelled reference library. Decision support, not a diagnosis.",
};

export default function RootLayout({ children }: { children: React.ReactNode }) {
  return (
    <html lang="en" data-theme="dark">
      <body>{children}</body>
    </html>
  );
}
