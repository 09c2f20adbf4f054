// `prisma generate` only needs the schema engine path to exist: the binary itself is a download that is not
// available offline, and generation does not run it. Point it at any existing file unless the user set one.
import { spawn } from "node:child_process";

const env: NodeJS.ProcessEnv = { ...process.env, PRISMA_HIDE_UPDATE_MESSAGE: "1", CHECKPOINT_DISABLE: "1" };
env.PRISMA_SCHEMA_ENGINE_BINARY ??= process.execPath;
const child = spawn("npx", ["prisma", "generate"], { stdio: "inherit", env });
child.on("exit", (code) => process.exit(code ?? 1));
