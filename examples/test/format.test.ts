import { describe, expect, it } from "vitest";
import { probabilitiesByClass } from "../src/format";

describe("probabilitiesByClass", () => {
  it("keys each probability by its class label, in the classifier's class order", () => {
    expect(probabilitiesByClass("churned", [0, 1], Float64Array.of(0.657, 0.343))).toBe("churned=0: 0.66, churned=1: 0.34");
    expect(probabilitiesByClass("plan", ["free", "pro"], [0.1234, 0.8766], 3)).toBe("plan=free: 0.123, plan=pro: 0.877");
  });

  it("refuses a probability vector that does not match the classes", () => {
    expect(() => probabilitiesByClass("churned", [0, 1], [1])).toThrow("probabilitiesByClass: 2 classes but 1 probabilities.");
  });
});
