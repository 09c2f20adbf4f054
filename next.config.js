// @ts-check
/** @type {import('next').NextConfig} */
const nextConfig = {
  // Native and WASM packages stay outside the server bundle.
  serverExternalPackages: [
    "onnxruntime-node",
    "sharp",
    "@node-rs/argon2",
    "pg",
    "dicom-parser",
    "dcmjs-codecs",
    "pg-boss",
    "dcmjs-dimse",
  ],
  poweredByHeader: false,
  // `npm test` type-checks the whole project (tsc --noEmit); repeating it inside every build costs a minute on 2 cores.
  typescript: { ignoreBuildErrors: true },
  typedRoutes: false,
  experimental: {
    serverActions: {
      // Scan uploads go through server actions; the per-file limit is enforced in lib/ingest.
      bodySizeLimit: "60mb",
    },
    // proxy.ts sees every request; past this size Next would hand the route a truncated body.
    proxyClientMaxBodySize: "60mb",
  },
  async headers() {
    return [
      {
        source: "/:path*",
        headers: [
          { key: "X-Content-Type-Options", value: "nosniff" },
          { key: "X-Frame-Options", value: "DENY" },
          { key: "Referrer-Policy", value: "same-origin" },
          // Browser features a chest X-ray viewer never needs; fullscreen stays for the image viewer. The
          // Content-Security-Policy needs a nonce per request: proxy.ts sets it (lib/http/security-headers.ts).
          {
            key: "Permissions-Policy",
            value:
              "camera=(), microphone=(), geolocation=(), payment=(), usb=(), serial=(), hid=(), midi=(), " +
              "display-capture=(), accelerometer=(), gyroscope=(), magnetometer=(), fullscreen=(self)",
          },
        ],
      },
    ];
  },
};

export default nextConfig;
