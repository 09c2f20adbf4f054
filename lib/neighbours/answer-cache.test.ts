import { describe, expect, it } from "vitest";
import { AnswerCache, answerKey, type AnswerKey } from "./answer-cache";

const base: AnswerKey = {
  modelId: "m@1",
  libraryStamp: "135:1:abc",
  scanId: "s1",
  k: 36,
  ownSha256: ["b", "a"],
};
const answer = (id: string) => ({
  rows: [{ scanId: id, class: "healthy" as const, distance: 0.1, storageKey: id }],
  ranks: [],
});

describe("neighbour answer cache", () => {
  it("keys on everything the answer depends on, and on nothing else", () => {
    expect(answerKey(base)).toBe(answerKey({ ...base, ownSha256: ["a", "b"] }));
    expect(answerKey(base)).toBe(answerKey({ ...base, classes: undefined }));
    expect(answerKey({ ...base, classes: ["severe", "healthy"] })).toBe(
      answerKey({ ...base, classes: ["healthy", "severe"] }),
    );
    const others: AnswerKey[] = [
      { ...base, modelId: "m@2" },
      { ...base, libraryStamp: "136:1:abd" },
      { ...base, scanId: "s2" },
      { ...base, k: 12 },
      { ...base, classes: ["severe"] },
      { ...base, ownSha256: ["a", "b", "c"] },
    ];
    const keys = new Set([answerKey(base), ...others.map(answerKey)]);
    expect(keys.size).toBe(others.length + 1);
  });

  it("forgets the least recently used answer first", () => {
    const cache = new AnswerCache(2);
    cache.set("a", answer("a"));
    cache.set("b", answer("b"));
    expect(cache.get("a")?.rows[0]?.scanId).toBe("a"); // a is now the most recent
    cache.set("c", answer("c"));
    expect(cache.get("b")).toBeUndefined();
    expect(cache.get("a")).toBeDefined();
    expect(cache.get("c")).toBeDefined();
    expect(cache.size).toBe(2);
  });
});
