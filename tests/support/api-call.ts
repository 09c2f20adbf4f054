// Calls a route handler as Next.js does (a Request and `{ params: Promise }`), with a bearer token and a fixed
// client address, so integration tests exercise the real wrapper (lib/api/route.ts).
export type RouteHandler<P> = (request: Request, context: { params: Promise<P> }) => Promise<Response>;

export interface RouteCall<P> {
  method?: string;
  token?: string | null;
  headers?: Record<string, string>;
  body?: BodyInit;
  params?: P;
}

export function callRoute<P>(handler: RouteHandler<P>, url: string, options: RouteCall<P> = {}): Promise<Response> {
  const headers = new Headers(options.headers);
  if (options.token) headers.set("authorization", `Bearer ${options.token}`);
  headers.set("x-forwarded-for", "192.0.2.10");
  const request = new Request(new URL(url, "http://radtrack.test"), {
    method: options.method ?? (options.body ? "POST" : "GET"),
    headers,
    body: options.body,
  });
  return handler(request, { params: Promise.resolve(options.params ?? ({} as P)) });
}
