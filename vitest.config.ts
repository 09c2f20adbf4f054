import path from "node:path";
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: { alias: { "@": path.resolve(import.meta.dirname) } },
  test: {
    include: [
      "lib/**/*.test.ts",
      "scripts/**/*.test.ts",
      "tests/integration/**/*.test.ts",
      "tests/security/**/*.test.ts",
    ],
    exclude: ["node_modules/**", ".next/**", "tests/e2e/**"],
    environment: "node",
    // Integration tests share one database server; files run one at a time, each in its own schema-fresh database.
    fileParallelism: false,
    testTimeout: 60_000,
    // next-auth imports "next/server" without an extension, which Node's ESM loader rejects; let Vite resolve it.
    server: { deps: { inline: ["next-auth"] } },
    hookTimeout: 120_000,
  },
});
