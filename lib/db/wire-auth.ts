// Password authentication in front of @electric-sql/pglite-socket, which accepts any user name and password as
// superuser. Each new connection must complete SCRAM-SHA-256 (what PostgreSQL uses by default, so `pg`, Prisma and
// pg-boss need nothing special) before its startup message reaches PGlite; a connection that fails is answered with
// PostgreSQL's own error (28P01) and closed. The password never crosses the socket, only a proof of it.
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from "node:crypto";
import type { Socket } from "node:net";
import type { PGLiteSocketServer } from "@electric-sql/pglite-socket";

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const PROTOCOL_3 = 196608;
const ITERATIONS = 4096;
/** A client that has not authenticated within this time is dropped, so idle sockets cannot pile up. */
const HANDSHAKE_TIMEOUT_MS = 10_000;
const MAX_HANDSHAKE_BYTES = 16 * 1024;

export interface WireCredentials {
  user: string;
  password: string;
}

interface ScramSecret {
  user: string;
  salt: Buffer;
  storedKey: Buffer;
  serverKey: Buffer;
}

const hmac = (key: Buffer, text: string) => createHmac("sha256", key).update(text).digest();

function scramSecret({ user, password }: WireCredentials): ScramSecret {
  const salt = randomBytes(16);
  const salted = pbkdf2Sync(password.normalize("NFKC"), salt, ITERATIONS, 32, "sha256");
  return {
    user,
    salt,
    storedKey: createHash("sha256").update(hmac(salted, "Client Key")).digest(),
    serverKey: hmac(salted, "Server Key"),
  };
}

class HandshakeError extends Error {}

/** Reads whole protocol messages from a socket that is not yet handed to PGlite. */
class MessageReader {
  private buffer = Buffer.alloc(0);
  private waiting: (() => void) | null = null;
  private failure: Error | null = null;

  constructor(private readonly socket: Socket) {
    socket.on("data", this.onData);
    socket.on("close", this.onClose);
    socket.on("error", this.onError);
  }

  private onClose = () => this.fail(new HandshakeError("connection closed during authentication"));
  private onError = (error: Error) => this.fail(error);

  private onData = (chunk: Buffer) => {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    if (this.buffer.length > MAX_HANDSHAKE_BYTES) this.fail(new HandshakeError("handshake too large"));
    this.waiting?.();
  };

  fail(error: Error) {
    this.failure ??= error;
    this.waiting?.();
  }

  detach() {
    this.socket.off("data", this.onData);
    this.socket.off("close", this.onClose);
    this.socket.off("error", this.onError);
  }

  private async need(bytes: number): Promise<void> {
    while (this.buffer.length < bytes) {
      if (this.failure) throw this.failure;
      await new Promise<void>((resolve) => (this.waiting = resolve));
      this.waiting = null;
    }
  }

  /** A startup-phase message (no type byte): the whole message including its length word. */
  async untyped(): Promise<Buffer> {
    await this.need(8);
    const length = this.buffer.readInt32BE(0);
    if (length < 8 || length > MAX_HANDSHAKE_BYTES) throw new HandshakeError("bad startup message");
    await this.need(length);
    const message = this.buffer.subarray(0, length);
    this.buffer = this.buffer.subarray(length);
    return message;
  }

  async typed(): Promise<{ type: number; body: Buffer }> {
    await this.need(5);
    const length = this.buffer.readInt32BE(1);
    if (length < 4 || length > MAX_HANDSHAKE_BYTES) throw new HandshakeError("bad message");
    await this.need(1 + length);
    const type = this.buffer[0]!;
    const body = this.buffer.subarray(5, 1 + length);
    this.buffer = this.buffer.subarray(1 + length);
    return { type, body };
  }
}

function authentication(code: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const message = Buffer.alloc(9 + payload.length);
  message.write("R", 0);
  message.writeInt32BE(8 + payload.length, 1);
  message.writeInt32BE(code, 5);
  payload.copy(message, 9);
  return message;
}

function errorResponse(code: string, text: string): Buffer {
  const fields = Buffer.concat(
    [`SFATAL`, `VFATAL`, `C${code}`, `M${text}`].map((field) => Buffer.from(field + "\0", "utf8")),
  );
  const message = Buffer.alloc(6 + fields.length);
  message.write("E", 0);
  message.writeInt32BE(5 + fields.length, 1);
  fields.copy(message, 5);
  return message;
}

function startupUser(startup: Buffer): string {
  // After length and protocol version: key\0value\0 pairs, then a final \0.
  const parts = startup.subarray(8).toString("utf8").split("\0");
  for (let i = 0; i + 1 < parts.length; i += 2) if (parts[i] === "user") return parts[i + 1] ?? "";
  return "";
}

function attributes(message: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const part of message.split(",")) {
    const eq = part.indexOf("=");
    if (eq === 1) map.set(part[0]!, part.slice(2));
  }
  return map;
}

/**
 * Runs the startup and SCRAM exchange on a fresh socket. Resolves with the client's startup message (to be replayed
 * to PGlite, which answers AuthenticationOk and the session parameters) or null when the socket was closed.
 */
async function authenticate(socket: Socket, secret: ScramSecret): Promise<Buffer | null> {
  const reader = new MessageReader(socket);
  const timer = setTimeout(() => reader.fail(new HandshakeError("authentication timed out")), HANDSHAKE_TIMEOUT_MS);
  const refuse = (user: string) => {
    socket.end(errorResponse("28P01", `password authentication failed for user "${user}"`));
    return null;
  };
  try {
    let startup: Buffer;
    for (;;) {
      const message = await reader.untyped();
      const code = message.readInt32BE(4);
      if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
        socket.write("N");
        continue;
      }
      if (code === CANCEL_REQUEST) {
        // PGlite cannot cancel a running query; an unauthenticated cancel must not reach it anyway.
        socket.destroy();
        return null;
      }
      if (code !== PROTOCOL_3) {
        socket.end(errorResponse("08P01", "unsupported frontend protocol"));
        return null;
      }
      startup = Buffer.from(message);
      break;
    }
    const user = startupUser(startup);
    const mechanism = Buffer.from("SCRAM-SHA-256\0\0", "utf8");
    socket.write(authentication(10, mechanism));

    const first = await reader.typed();
    if (first.type !== 0x70) return refuse(user);
    const nameEnd = first.body.indexOf(0);
    if (first.body.subarray(0, nameEnd).toString("utf8") !== "SCRAM-SHA-256") return refuse(user);
    const clientFirst = first.body.subarray(nameEnd + 5).toString("utf8");
    // gs2 header: "n,," (no channel binding) or "y,," (client could bind but thinks we cannot); "p=" needs TLS.
    const gs2 = /^([ny]),[^,]*,/.exec(clientFirst);
    if (!gs2) return refuse(user);
    const clientFirstBare = clientFirst.slice(gs2[0].length);
    const clientNonce = attributes(clientFirstBare).get("r");
    if (!clientNonce) return refuse(user);
    const nonce = clientNonce + randomBytes(18).toString("base64");
    const serverFirst = `r=${nonce},s=${secret.salt.toString("base64")},i=${ITERATIONS}`;
    socket.write(authentication(11, Buffer.from(serverFirst, "utf8")));

    const final = await reader.typed();
    if (final.type !== 0x70) return refuse(user);
    const clientFinal = final.body.toString("utf8");
    const proofAt = clientFinal.lastIndexOf(",p=");
    if (proofAt < 0) return refuse(user);
    const withoutProof = clientFinal.slice(0, proofAt);
    const finalAttributes = attributes(withoutProof);
    if (finalAttributes.get("r") !== nonce) return refuse(user);
    if (finalAttributes.get("c") !== Buffer.from(gs2[0], "utf8").toString("base64")) return refuse(user);
    const proof = Buffer.from(clientFinal.slice(proofAt + 3), "base64");
    const authMessage = `${clientFirstBare},${serverFirst},${withoutProof}`;
    const signature = hmac(secret.storedKey, authMessage);
    if (proof.length !== signature.length) return refuse(user);
    const clientKey = Buffer.from(proof.map((byte, i) => byte ^ signature[i]!));
    const storedKey = createHash("sha256").update(clientKey).digest();
    // The user name is checked after the proof, in constant time as well, so neither tells which one was wrong.
    const userOk = timingSafeEqual(
      createHash("sha256").update(user).digest(),
      createHash("sha256").update(secret.user).digest(),
    );
    if (!timingSafeEqual(storedKey, secret.storedKey) || !userOk) return refuse(user);
    const serverSignature = hmac(secret.serverKey, authMessage).toString("base64");
    socket.write(authentication(12, Buffer.from(`v=${serverSignature}`, "utf8")));
    return startup;
  } catch {
    socket.destroy();
    return null;
  } finally {
    clearTimeout(timer);
    reader.detach();
  }
}

/** Makes the socket server refuse every connection that does not prove it knows `credentials.password`. */
export function requirePassword(server: PGLiteSocketServer, credentials: WireCredentials): void {
  const target = server as unknown as { handleConnection?: (socket: Socket) => Promise<void> };
  const original = target.handleConnection;
  if (typeof original !== "function") {
    throw new Error("@electric-sql/pglite-socket changed: review lib/db/wire-auth.ts before upgrading");
  }
  const secret = scramSecret(credentials);
  target.handleConnection = async (socket: Socket) => {
    const startup = await authenticate(socket, secret);
    if (!startup) return;
    await original.call(server, socket);
    // The handler now listens for data: give it the startup message it would have read first.
    if (!socket.destroyed) socket.emit("data", startup);
  };
}
