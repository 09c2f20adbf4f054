import { describe, expect, it } from "vitest";
import { summaryIsStale } from "./staleness";

const ctx = { model: { id: "m@1", dims: 256 }, stamp: "135:1:abc" };
const summary = { modelId: "m@1", libraryStamp: "135:1:abc", scanCount: 3 };

describe("a listed patient's summary", () => {
  it("is current when computed for this model, library and number of films", () => {
    expect(summaryIsStale(summary, 3, ctx)).toBe(false);
    expect(summaryIsStale(null, 0, ctx)).toBe(false); // no films, nothing to summarise
  });

  it("is behind when missing, or computed for another model, library or number of films", () => {
    expect(summaryIsStale(null, 1, ctx)).toBe(true);
    expect(summaryIsStale({ ...summary, modelId: "m@0" }, 3, ctx)).toBe(true);
    expect(summaryIsStale({ ...summary, libraryStamp: "99:1:def" }, 3, ctx)).toBe(true);
    expect(summaryIsStale(summary, 4, ctx)).toBe(true); // an upload not yet refreshed
    expect(summaryIsStale(summary, 2, ctx)).toBe(true); // a withdrawal not yet refreshed
  });
});
