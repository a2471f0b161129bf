import { tableFromArrays } from "apache-arrow";
import { describe, expect, it } from "vitest";
import { GroupTimeSplit } from "../../src/model-selection/group-time-split";

// A panel: 10 customers observed every week for 12 weeks (row = week * 10 + customer).
const weeks: number[] = [];
const customers: string[] = [];
for (let w = 0; w < 12; w++) for (let c = 0; c < 10; c++) {
  weeks.push(w);
  customers.push(`c${c}`);
}
const panel = tableFromArrays({ week: Float64Array.from(weeks), customer: customers });

describe("GroupTimeSplit", () => {
  it("tests on later windows, trains on earlier periods before the gap, and keeps entities apart", () => {
    const cv = new GroupTimeSplit({ timeColumn: "week", nSplits: 3, testSize: 2, gap: 1, testEntityFraction: 0.3, randomState: 4 });
    const splits = [...cv.split(panel, undefined, customers)];
    expect(splits.length).toBe(3);
    splits.forEach(([train, test], k) => {
      const testWeeks = new Set(Array.from(test, (i) => weeks[i]));
      expect([...testWeeks].sort((a, b) => a - b)).toEqual([6 + 2 * k, 7 + 2 * k]);
      const trainWeeks = new Set(Array.from(train, (i) => weeks[i]));
      expect(Math.max(...trainWeeks)).toBe(4 + 2 * k); // one week of gap
      expect(Math.min(...trainWeeks)).toBe(0);
      const testCustomers = new Set(Array.from(test, (i) => customers[i]));
      expect(testCustomers.size).toBe(3);
      expect(Array.from(train).some((i) => testCustomers.has(customers[i]))).toBe(false);
      expect(train.length).toBe((5 + 2 * k) * 7);
      expect(test.length).toBe(2 * 3);
    });
    // The same seed draws the same customers.
    const again = [...cv.split(panel, undefined, customers)];
    expect(again.map(([, te]) => Array.from(te))).toEqual(splits.map(([, te]) => Array.from(te)));
  });

  it("limits training to the latest maxTrainSize periods", () => {
    const cv = new GroupTimeSplit({ timeColumn: "week", nSplits: 2, testSize: 3, maxTrainSize: 2, testEntityFraction: 0.5 });
    for (const [k, [train]] of [...cv.split(panel, undefined, customers)].entries()) {
      expect([...new Set(Array.from(train, (i) => weeks[i]))]).toEqual([4 + 3 * k, 5 + 3 * k]);
    }
  });

  it("holds out every entity of the test window by default (event data: new entities each period)", () => {
    const rows = Array.from({ length: 40 }, (_, i) => ({ day: new Date(Date.UTC(2024, 0, 1 + Math.floor(i / 4))), id: i < 36 ? `u${Math.floor(i / 2)}` : "u0" }));
    const ids = rows.map((r) => r.id);
    const [[train, test]] = [...new GroupTimeSplit({ timeColumn: "day", nSplits: 1, testSize: 2 }).split(rows, undefined, ids)];
    expect(Array.from(test)).toEqual([32, 33, 34, 35, 36, 37, 38, 39]);
    // u0 appears in the test window (rows 36-39), so its early rows 0 and 1 do not train.
    expect(Array.from(train)).toEqual(Array.from({ length: 30 }, (_, i) => i + 2));
  });

  it("explains a panel where every test entity was seen before, and impossible windows", () => {
    expect(() => [...new GroupTimeSplit({ timeColumn: "week", nSplits: 2 }).split(panel, undefined, customers)]).toThrow(
      "GroupTimeSplit: split 0 has 0 training and 40 test rows; every entity of the test window also appears in the training periods. Set testEntityFraction below 1 (e.g. 0.2) to hold out a share of entities.",
    );
    expect(() => [...new GroupTimeSplit({ timeColumn: "week", nSplits: 5, testSize: 3 }).split(panel, undefined, customers)]).toThrow(
      "GroupTimeSplit: 12 distinct times cannot hold 5 test windows of 3 period(s) after a gap of 0 and at least one training period; lower nSplits, testSize or gap.",
    );
    expect(() => [...new GroupTimeSplit({ timeColumn: "when" }).split(panel, undefined, customers)]).toThrow(
      'GroupTimeSplit: X has no column "when"; columns: week, customer.',
    );
    expect(() => new GroupTimeSplit({ timeColumn: "week", testEntityFraction: 0 })).toThrow("GroupTimeSplit: testEntityFraction must be in (0, 1], got 0.");
    expect(new GroupTimeSplit({ timeColumn: "week", nSplits: 4 }).getNSplits()).toBe(4);
  });
});
