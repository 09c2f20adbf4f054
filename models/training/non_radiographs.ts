// Grey pictures that are not radiographs, made from a seed: the kinds a frontal-film gate must refuse and that the
// colour check cannot (a screenshot or a scanned document saved in grey, a chart, a pattern). Used to train the gate
// (train_heads.py reads their features) and by its tests; nothing binary is kept in git.
import sharp from "sharp";
import { seededRandom } from "../../lib/seeded-random";

export type NonRadiographKind = "screenshot" | "document" | "chart" | "pattern" | "photo-like";
export const NON_RADIOGRAPH_KINDS: readonly NonRadiographKind[] = [
  "screenshot",
  "document",
  "chart",
  "pattern",
  "photo-like",
];

const WORDS = "patient scan upload timeline severity report history admin login password neighbours drift export".split(
  " ",
);

function grey(r: () => number, lo = 0, hi = 255): string {
  const v = Math.round(lo + r() * (hi - lo));
  return `rgb(${v},${v},${v})`;
}

function text(r: () => number, n: number): string {
  return Array.from({ length: n }, () => WORDS[Math.floor(r() * WORDS.length)]).join(" ");
}

function svgFor(kind: NonRadiographKind, r: () => number, w: number, h: number): string {
  const parts: string[] = [];
  if (kind === "screenshot") {
    parts.push(`<rect width="${w}" height="${h}" fill="${grey(r, 225, 255)}"/>`);
    parts.push(`<rect width="${w}" height="${40 + r() * 30}" fill="${grey(r, 20, 90)}"/>`);
    const rows = 4 + Math.floor(r() * 8);
    for (let i = 0; i < rows; i++) {
      const y = 90 + i * ((h - 120) / rows);
      parts.push(
        `<rect x="40" y="${y}" width="${w - 80}" height="${24 + r() * 20}" rx="4" fill="none" stroke="${grey(r, 120, 200)}"/>`,
      );
      parts.push(
        `<text x="52" y="${y + 20}" font-size="${14 + r() * 6}" fill="${grey(r, 0, 80)}">${text(r, 4)}</text>`,
      );
    }
    parts.push(`<rect x="${w / 2 - 60}" y="${h - 70}" width="120" height="36" rx="6" fill="${grey(r, 40, 120)}"/>`);
  } else if (kind === "document") {
    parts.push(`<rect width="${w}" height="${h}" fill="${grey(r, 235, 255)}"/>`);
    const size = 10 + r() * 8;
    for (let y = 50; y < h - 40; y += size * 1.6) {
      parts.push(`<text x="40" y="${y}" font-size="${size}" fill="${grey(r, 0, 60)}">${text(r, 9)}</text>`);
    }
  } else if (kind === "chart") {
    parts.push(`<rect width="${w}" height="${h}" fill="${grey(r, 230, 255)}"/>`);
    parts.push(`<path d="M60 ${h - 60} H${w - 30} M60 ${h - 60} V30" stroke="black" stroke-width="2"/>`);
    let d = `M60 ${h - 60 - r() * (h - 120)}`;
    for (let x = 60; x < w - 30; x += 20 + r() * 30) d += ` L${x} ${40 + r() * (h - 120)}`;
    parts.push(`<path d="${d}" fill="none" stroke="${grey(r, 0, 100)}" stroke-width="${1 + r() * 3}"/>`);
    for (let i = 0; i < 6; i++) {
      const bh = r() * (h - 140);
      parts.push(
        `<rect x="${80 + i * ((w - 140) / 6)}" y="${h - 60 - bh}" width="${(w - 160) / 8}" height="${bh}" fill="${grey(r, 60, 200)}" opacity="0.5"/>`,
      );
    }
  } else if (kind === "pattern") {
    const step = 8 + Math.floor(r() * 60);
    parts.push(`<rect width="${w}" height="${h}" fill="${grey(r)}"/>`);
    const style = Math.floor(r() * 3);
    for (let x = 0; x < w; x += step) {
      for (let y = 0; y < h; y += step) {
        if (style === 0 && (x / step + y / step) % 2 === 0)
          parts.push(`<rect x="${x}" y="${y}" width="${step}" height="${step}" fill="${grey(r)}"/>`);
        if (style === 1) parts.push(`<circle cx="${x}" cy="${y}" r="${step / 3}" fill="${grey(r)}"/>`);
      }
    }
    if (style === 2) {
      parts.push(
        `<defs><linearGradient id="g" x1="0" y1="0" x2="${r()}" y2="1"><stop offset="0" stop-color="${grey(r)}"/><stop offset="1" stop-color="${grey(r)}"/></linearGradient></defs>`,
      );
      parts.push(`<rect width="${w}" height="${h}" fill="url(#g)"/>`);
    }
  } else {
    // Blurred blobs and a horizon: the shape statistics of a grey photograph (a room, a face, a landscape).
    parts.push(`<rect width="${w}" height="${h}" fill="${grey(r, 60, 200)}"/>`);
    parts.push(`<rect y="${h * (0.3 + r() * 0.4)}" width="${w}" height="${h}" fill="${grey(r, 20, 160)}"/>`);
    for (let i = 0; i < 12; i++) {
      parts.push(
        `<ellipse cx="${r() * w}" cy="${r() * h}" rx="${20 + r() * w * 0.3}" ry="${20 + r() * h * 0.3}" fill="${grey(r)}" opacity="${0.3 + r() * 0.6}"/>`,
      );
    }
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}">${parts.join("")}</svg>`;
}

/** A grey JPEG (or PNG for odd seeds) of the given kind; the same seed always gives the same picture. */
export async function makeNonRadiograph(kind: NonRadiographKind, seed: number): Promise<Buffer> {
  const r = seededRandom(seed * 7919 + NON_RADIOGRAPH_KINDS.indexOf(kind) + 1);
  const w = 400 + Math.floor(r() * 900);
  const h = 400 + Math.floor(r() * 900);
  let image = sharp(Buffer.from(svgFor(kind, r, w, h))).greyscale();
  if (kind === "photo-like") image = image.blur(2 + r() * 10);
  return seed % 2 === 0 ? image.jpeg({ quality: 85 }).toBuffer() : image.png().toBuffer();
}
