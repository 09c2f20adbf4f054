// scripts/serve.ts replaces X-Forwarded-For with the address it trusts (the socket's, or the client's as reported by
// a configured number of proxies), so by the time a request reaches the app the header holds exactly one address.
export function clientIp(headers: Headers): string | null {
  const value = headers.get("x-forwarded-for");
  if (!value) return null;
  const first = value.split(",")[0]?.trim();
  return first ? first.replace(/^::ffff:/, "") : null;
}
