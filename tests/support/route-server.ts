// Serves one Next.js route handler on a loopback port, so that a real client (Orthanc's STOW-RS client) can call it
// over HTTP. The handler gets a standard Request as Next.js gives it; the client address is set here, as
// scripts/serve.ts does for the app.
import { createServer, type Server } from "node:http";

type Handler = (request: Request, context: { params: Promise<Record<string, never>> }) => Promise<Response>;

export interface RouteServer {
  url: string;
  close(): Promise<void>;
}

export async function serveRoute(path: string, method: string, handler: Handler): Promise<RouteServer> {
  const server: Server = createServer(async (req, res) => {
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      if (url.pathname.replace(/\/+$/, "") !== path || req.method !== method) {
        res.writeHead(404).end();
        return;
      }
      const headers = new Headers();
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers.set(k, v);
      headers.set("x-forwarded-for", "127.0.0.1");
      const response = await handler(
        new Request(url, { method, headers, body: chunks.length ? Buffer.concat(chunks) : undefined }),
        { params: Promise.resolve({}) },
      );
      res.writeHead(response.status, Object.fromEntries(response.headers));
      res.end(Buffer.from(await response.arrayBuffer()));
    } catch (error) {
      res.writeHead(500).end(String(error));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
