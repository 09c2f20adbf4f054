// A real S3-protocol server (s3rver) in its own process, for the storage contract tests and the two-node test: the
// AWS SDK talks HTTP to it exactly as to MinIO or S3. Prints {"port": n} once listening; exits when its parent
// closes stdin or sends SIGTERM. Usage: tsx tests/support/s3-server-main.ts <directory> <bucket>...
import S3rver from "s3rver";

const [directory, ...buckets] = process.argv.slice(2);
if (!directory || buckets.length === 0) {
  console.error("usage: s3-server-main.ts <directory> <bucket>...");
  process.exit(2);
}
const server = new S3rver({
  address: "127.0.0.1",
  port: 0,
  directory,
  silent: true,
  configureBuckets: buckets.map((name) => ({ name })),
});
const { port } = await server.run();
process.stdout.write(`${JSON.stringify({ port })}\n`);
const stop = () => void server.close().finally(() => process.exit(0));
process.stdin.on("end", stop);
process.stdin.resume();
process.on("SIGTERM", stop);
