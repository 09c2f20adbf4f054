// A TCP proxy in front of the test database that can stop forwarding, as a paused (SIGSTOP) or hung server looks to
// its clients: connections are accepted and nothing comes back; bytes wait in the buffers until it is resumed.
import net from "node:net";

export interface PausableProxy {
  /** The database URL, with the proxy's port. */
  url: string;
  pause(): void;
  resume(): void;
  close(): Promise<void>;
}

export async function startPausableProxy(databaseUrl: string): Promise<PausableProxy> {
  const target = new URL(databaseUrl);
  let paused = false;
  const sockets = new Set<net.Socket>();
  const waiting: net.Socket[] = [];
  const track = (s: net.Socket) => {
    sockets.add(s);
    s.on("error", () => {});
    s.on("close", () => sockets.delete(s));
  };
  const connect = (client: net.Socket) => {
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    track(upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
    client.resume();
  };
  const server = net.createServer((client) => {
    track(client);
    if (paused) {
      client.pause();
      waiting.push(client);
    } else connect(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = new URL(databaseUrl);
  url.hostname = "127.0.0.1";
  url.port = String((server.address() as net.AddressInfo).port);
  return {
    url: url.toString(),
    pause() {
      paused = true;
      for (const s of sockets) s.pause();
    },
    resume() {
      paused = false;
      for (const s of sockets) s.resume();
      for (const client of waiting.splice(0)) if (!client.destroyed) connect(client);
    },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
