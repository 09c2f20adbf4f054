import { describe, expect, it } from "vitest";
import { contentSecurityPolicy, crossOriginAction, newNonce, oversizedAction } from "./security-headers";

const action = (headers: Record<string, string>, method = "POST") =>
  new Request("http://radtrack.test/patients/new", { method, headers: { "next-action": "abc", ...headers } });

describe("content security policy", () => {
  it("allows scripts by nonce only (no inline, no eval outside next dev)", () => {
    const nonce = newNonce();
    expect(nonce).toMatch(/^[A-Za-z0-9+/]{22}==$/);
    expect(newNonce()).not.toBe(nonce);
    const csp = contentSecurityPolicy(nonce);
    const scriptSrc = csp.split("; ").find((d) => d.startsWith("script-src"));
    expect(scriptSrc).toBe(`script-src 'self' 'nonce-${nonce}' 'strict-dynamic'`);
    expect(csp).toContain("object-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(contentSecurityPolicy(nonce, true)).toContain("'unsafe-eval'");
  });
});

describe("server action refusals", () => {
  it("refuses a server action from another origin with 403, and only that", async () => {
    const evil = crossOriginAction(action({ host: "radtrack.test", origin: "https://evil.example" }));
    expect(evil?.status).toBe(403);
    expect(await evil!.text()).toMatch(/another site/);
    expect(crossOriginAction(action({ host: "radtrack.test", origin: "null" }))?.status).toBe(403);
    expect(crossOriginAction(action({ host: "radtrack.test", origin: "http://radtrack.test" }))).toBeNull();
    expect(crossOriginAction(action({ "x-forwarded-host": "rt.example", origin: "https://rt.example" }))).toBeNull();
    expect(crossOriginAction(action({ host: "radtrack.test" }))).toBeNull();
    // Not a server action: the API and plain pages judge their own requests.
    const plain = new Request("http://radtrack.test/api/v1/patients", {
      method: "POST",
      headers: { host: "radtrack.test", origin: "https://evil.example" },
    });
    expect(crossOriginAction(plain)).toBeNull();
  });

  it("refuses a server action body over the upload limit with 413 and the limit in words", async () => {
    const max = 50 * 1024 * 1024;
    const big = oversizedAction(action({ "content-length": String(63 * 1024 * 1024) }), max);
    expect(big?.status).toBe(413);
    expect(await big!.text()).toBe(
      "The upload is larger than the limit of 50 MB per scan (RADTRACK_MAX_UPLOAD_MB). Nothing was stored.",
    );
    expect(oversizedAction(action({ "content-length": String(max) }), max)).toBeNull();
    expect(oversizedAction(action({}), max)).toBeNull();
  });
});
