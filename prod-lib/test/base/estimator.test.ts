import { describe, expect, it } from "vitest";
import { z } from "zod";
import { NotFittedError, ValidationError } from "@trellis/shared";
import {
  BaseEstimator,
  BaseTransformer,
  Matrix,
  MinMaxScaler,
  StandardScaler,
  clone,
  decodeValue,
  encodeValue,
  estimatorFromJSON,
  extractRow,
  registerEstimator,
  registeredEstimators,
  type XInput,
} from "@trellis/prod";

interface ShiftOptions {
  by?: number;
  inner?: BaseEstimator;
}

/** A tiny estimator written against the base contract, as a third party would. */
class Shift extends BaseTransformer<ShiftOptions, { offsets: Float64Array }> {
  constructor(options: ShiftOptions = {}) {
    super(options);
  }
  protected paramSchema() {
    return z.strictObject({ by: z.number().positive().default(1), inner: z.custom<BaseEstimator>().optional() });
  }
  get offsets_(): Float64Array {
    return this.fitted("offsets");
  }
  fit(X: XInput): this {
    const p = this.checkParams(this.paramSchema());
    this.resetFit();
    const frame = this.fitFrame(X);
    this.setFitted(this.specOf(frame), { offsets: new Float64Array(frame.names.length).fill(p.by) });
    return this;
  }
  transformData(X: XInput): Matrix {
    const m = this.checkFrame(X).toMatrix(this.estimatorName);
    const off = this.offsets_;
    return new Matrix(m.data.map((v, k) => v + off[k % m.cols]), m.rows, m.cols, m.columns);
  }
  getFeatureNamesOut(): string[] {
    return this.featureNamesIn_;
  }
}
registerEstimator(Shift, "test.Shift");

describe("BaseEstimator", () => {
  it("stores the options unchanged and lists defaults in getParams", () => {
    const opts = { by: 2 };
    const s = new Shift(opts);
    expect(s.getParams({ deep: false })).toEqual({ by: 2, inner: null });
    expect(new Shift().getParams()).toEqual({ by: 1, inner: null });
    expect(new StandardScaler({ withMean: false }).getParams()).toEqual({ withMean: false, withStd: true });
  });

  it("lists nested parameters with deep and sets them with name__param", () => {
    const s = new Shift({ inner: new StandardScaler() });
    expect(s.getParams().inner__withMean).toBe(true);
    s.setParams({ inner__withMean: false, by: 3 });
    expect(s.getParams().inner__withMean).toBe(false);
    expect(s.getParams().by).toBe(3);
    expect(s.getParams({ deep: false })).not.toHaveProperty("inner__withMean");
  });

  it("refuses unknown parameter names, listing the valid ones", () => {
    expect(() => new StandardScaler().setParams({ with_mean: false })).toThrow(/with_mean: unknown parameter; valid: withMean, withStd/);
    expect(() => new StandardScaler({ witMean: true } as never).fit([{ a: 1 }])).toThrow(/Unrecognized key.*witMean.*valid options: withMean, withStd/);
  });

  it("validates hyper-parameters at fit (not in the constructor) with name, value and rule", () => {
    const s = new Shift({ by: -1 });
    let err: ValidationError | undefined;
    try {
      s.fit([{ a: 1 }]);
    } catch (e) {
      err = e as ValidationError;
    }
    expect(err).toBeInstanceOf(ValidationError);
    expect(err!.issues[0].path).toEqual(["by"]);
    expect(err!.issues[0].value).toBe(-1);
    expect(err!.message).toMatch(/Invalid test\.Shift hyper-parameters: by: .*>0.*\(got -1\)/);
  });

  it("clones unfitted with equal, independent params (nested estimators cloned)", () => {
    const inner = new StandardScaler();
    const s = new Shift({ by: 2, inner }).fit([{ a: 1 }]);
    const c = clone(s);
    expect(c).toBeInstanceOf(Shift);
    expect(c.isFitted()).toBe(false);
    expect(c.getParams({ deep: false }).by).toBe(2);
    expect(c.getParams().inner).not.toBe(inner);
    c.setParams({ inner__withStd: false });
    expect(inner.getParams().withStd).toBe(true);
  });

  it("throws NotFittedError naming the estimator and attribute before fit", () => {
    const s = new Shift();
    expect(() => s.offsets_).toThrow(NotFittedError);
    expect(() => s.offsets_).toThrow("test.Shift is not fitted yet: call fit() before reading offsets_.");
    expect(() => s.featureNamesIn_).toThrow(NotFittedError);
    expect(() => s.transform([{ a: 1 }])).toThrow(NotFittedError);
  });

  it("starts over on refit and never mutates its input", () => {
    const rows = [{ a: 1, b: 2 }];
    const frozen = JSON.stringify(rows);
    const s = new Shift().fit(rows);
    expect(s.nFeaturesIn_).toBe(2);
    s.fit([{ c: 5 }]);
    expect(s.featureNamesIn_).toEqual(["c"]);
    expect(JSON.stringify(rows)).toBe(frozen);
  });

  it("refuses empty input and inputs without columns clearly", () => {
    expect(() => new Shift().fit([])).toThrow(/Shift\.fit: X has 0 rows; pass at least one row/);
    expect(() => new Shift().fit([{}])).toThrow(/X has no columns/);
    const s = new Shift().fit([{ a: 1 }]);
    expect(() => s.transform([])).toThrow(/X has 0 rows/);
  });

  it("refuses a constructor argument that is not an options object", () => {
    expect(() => new StandardScaler([] as never)).toThrow(/takes one options object, got an array/);
  });
});

describe("JSON", () => {
  it("encodes exact doubles, NaN, ±Infinity, -0 and typed arrays, and decodes them back", () => {
    const v = { a: Float64Array.of(0.1 + 0.2, NaN, -0, Infinity), b: [1, -Infinity], c: "s", d: Int32Array.of(3) };
    const json = JSON.parse(JSON.stringify(encodeValue(v)));
    const back = decodeValue(json) as typeof v;
    expect(back.a).toBeInstanceOf(Float64Array);
    expect(Object.is(back.a[2], -0)).toBe(true);
    expect(back.a[0]).toBe(0.1 + 0.2);
    expect(Number.isNaN(back.a[1])).toBe(true);
    expect(back.a[3]).toBe(Infinity);
    expect(back.b).toEqual([1, -Infinity]);
    expect(back.d).toEqual(Int32Array.of(3));
  });

  it("round-trips an unfitted and a fitted estimator, nested ones included", () => {
    const un = estimatorFromJSON(JSON.parse(JSON.stringify(new MinMaxScaler({ featureRange: [2, 3] }))));
    expect(un).toBeInstanceOf(MinMaxScaler);
    expect(un.isFitted()).toBe(false);
    expect(un.getParams().featureRange).toEqual([2, 3]);
    const s = new Shift({ by: 0.25, inner: new StandardScaler().fit([{ a: 1 }, { a: 2 }]) }).fit([{ a: 1 }]);
    const back = Shift.fromJSON(JSON.parse(JSON.stringify(s.toJSON())));
    expect(back.offsets_).toEqual(s.offsets_);
    expect((back.getParams().inner as StandardScaler).mean_).toEqual(Float64Array.of(1.5));
  });

  it("refuses unknown classes, wrong formats and a class mismatch in fromJSON", () => {
    const json = new StandardScaler().toJSON();
    expect(() => estimatorFromJSON({ ...json, className: "Evil" })).toThrow(/unknown estimator class "Evil"; registered: .*StandardScaler/);
    expect(() => estimatorFromJSON({ ...json, version: 2 as 1 })).toThrow(/unsupported version 2/);
    expect(() => estimatorFromJSON({} as never)).toThrow(/expected an object with format "trellis.estimator"/);
    expect(() => MinMaxScaler.fromJSON(json)).toThrow(/the JSON holds a StandardScaler/);
  });

  it("keeps a registry of class names and refuses a name taken by another class", () => {
    expect(registeredEstimators()).toEqual(expect.arrayContaining(["StandardScaler", "Pipeline", "ColumnTransformer", "test.Shift"]));
    expect(() => registerEstimator(MinMaxScaler, "StandardScaler")).toThrow(/already taken/);
    expect(new Shift().estimatorName).toBe("test.Shift");
  });
});

describe("extractRow", () => {
  const spec = { names: ["n", "s"], kinds: ["number", "category"] as ("number" | "category")[] };
  it("orders values by the spec and normalises missing values", () => {
    const out: unknown[] = [];
    extractRow({ s: null, n: null, extra: 1 }, spec, "P", out);
    expect(out).toEqual([NaN, null]);
    extractRow({ s: "x", n: 4 }, spec, "P", out);
    expect(out).toEqual([4, "x"]);
  });
  it("names a missing or mistyped column", () => {
    expect(() => extractRow({ s: "x" }, spec, "P", [])).toThrow(/P row does not match the expected schema: missing column\(s\) "n"/);
    expect(() => extractRow({ n: "4", s: "x" }, spec, "P", [])).toThrow(/"n" \(expected number, got string "4"\)/);
  });
});

