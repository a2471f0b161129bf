import { describe, expect, it } from "vitest";
import { FilterSyntaxError, parseSearchFilter, parseSearchOrder } from "@trellis/dev";
import { SqlParams, renderFilterSql, renderOrderSql } from "../../src/tracking/filter";

function syntaxError(f: () => unknown): FilterSyntaxError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(FilterSyntaxError);
    return e as FilterSyntaxError;
  }
  throw new Error("expected a FilterSyntaxError");
}

describe("parseSearchFilter", () => {
  it("parses an AND of comparisons on every entity with MLflow's prefixes and aliases", () => {
    expect(parseSearchFilter("metrics.auc > 0.8 and params.C = '1' AND tags.team != \"growth\" and attributes.status = 'FINISHED'")).toEqual([
      { entity: "metric", key: "auc", op: ">", value: 0.8, position: 0 },
      { entity: "param", key: "C", op: "=", value: "1", position: 22 },
      { entity: "tag", key: "team", op: "!=", value: "growth", position: 41 },
      { entity: "attribute", key: "status", op: "=", value: "FINISHED", position: 67 },
    ]);
    expect(parseSearchFilter("metric.x <= -1.5e-3 and param.a LIKE 'l%' and tag.b ILIKE '%X%' and run.name = 'r' and attr.id = 'abc'")).toEqual([
      { entity: "metric", key: "x", op: "<=", value: -0.0015, position: 0 },
      { entity: "param", key: "a", op: "LIKE", value: "l%", position: 24 },
      { entity: "tag", key: "b", op: "ILIKE", value: "%X%", position: 46 },
      { entity: "attribute", key: "run_name", op: "=", value: "r", position: 68 },
      { entity: "attribute", key: "run_id", op: "=", value: "abc", position: 87 },
    ]);
  });

  it("parses IN and NOT IN lists, <> as !=, and comparisons without spaces", () => {
    expect(parseSearchFilter("params.solver IN ('lbfgs', \"newton-cg\") and tags.x NOT IN ('a')")).toEqual([
      { entity: "param", key: "solver", op: "IN", value: ["lbfgs", "newton-cg"], position: 0 },
      { entity: "tag", key: "x", op: "NOT IN", value: ["a"], position: 44 },
    ]);
    expect(parseSearchFilter("metrics.a<>1")).toEqual([{ entity: "metric", key: "a", op: "!=", value: 1, position: 0 }]);
    expect(parseSearchFilter("attributes.start_time >= 1700000000000")[0]).toMatchObject({ key: "start_time", op: ">=", value: 1700000000000 });
  });

  it("reads backticked and double-quoted keys, dotted bare keys and doubled quotes", () => {
    expect(parseSearchFilter("metrics.`val loss` < 1 and params.\"my-param\" = 'it''s' and tags.`a``b` = 'x' and params.model.lr = '0.1'")).toEqual([
      { entity: "metric", key: "val loss", op: "<", value: 1, position: 0 },
      { entity: "param", key: "my-param", op: "=", value: "it's", position: 27 },
      { entity: "tag", key: "a`b", op: "=", value: "x", position: 59 },
      { entity: "param", key: "model.lr", op: "=", value: "0.1", position: 81 },
    ]);
  });

  it("gives an empty list for an empty or blank filter", () => {
    expect(parseSearchFilter("")).toEqual([]);
    expect(parseSearchFilter("   ")).toEqual([]);
  });

  it("names the position and the token of each kind of mistake", () => {
    const cases: [string, number, string, RegExp][] = [
      ["metrics.auc >> 1", 13, ">", /expected a value: a number or a quoted string/],
      ["metrics.auc > 0.8 or params.C = '1'", 18, "or", /OR is not supported/],
      ["auc > 0.8", 0, "auc", /expected an identifier such as metrics\.auc/],
      ["metrics.auc ~ 1", 12, "~", /unexpected character/],
      ["params.C = 1", 11, "1", /params\.C compares with a string; quote the value, e.g\. params\.C = '1'/],
      ["metrics.auc = '0.8'", 14, "'0.8'", /metrics\.auc compares with a number; remove the quotes/],
      ["params.C > '1'", 9, ">", /operator > does not apply to params\.C; use one of =, !=, LIKE, ILIKE, IN, NOT IN/],
      ["metrics.auc LIKE 1", 12, "LIKE", /operator LIKE does not apply to metrics\.auc/],
      ["attributes.colour = 'x'", 0, "attributes.colour", /unknown attribute "colour"/],
      ["params.C = 'abc", 11, "'abc", /unterminated string/],
      ["metrics.`a b > 1", 8, "`a b > 1", /unterminated backticked key/],
      ["metrics.a-b > 1", 0, "metrics.a-b", /wrap keys with such characters in backticks/],
      ["datasets.name = 'x'", 0, "datasets", /unknown prefix "datasets"/],
      ["params.C IN 'a'", 12, "'a'", /expected "\(" to start the list after IN/],
      ["params.C IN ('a' 'b')", 17, "'b'", /expected "," or "\)" in the list after IN/],
      ["params.C NOT 'a'", 13, "'a'", /expected IN after NOT/],
      ["metrics.auc > 0.8 params.C = '1'", 18, "params.C", /expected AND or the end of the filter/],
      ["metrics.auc >", 13, "", /expected a value/],
      ["attributes.start_time > '2024-01-01'", 24, "'2024-01-01'", /milliseconds since 1970-01-01 UTC/],
      ["tags.x IS NULL", 7, "IS", /IS \[NOT\] NULL is not supported/],
    ];
    for (const [input, position, token, message] of cases) {
      const e = syntaxError(() => parseSearchFilter(input));
      expect({ input, position: e.position, token: e.token }).toEqual({ input, position, token });
      expect(e.message).toMatch(message);
      expect(e.code).toBe("INVALID_ARGUMENT");
    }
  });

  it("shows the filter and a caret under the bad token", () => {
    const e = syntaxError(() => parseSearchFilter("metrics.auc >> 1"));
    expect(e.message).toBe('searchRuns filter: expected a value: a number or a quoted string at position 13 (token ">").\n  metrics.auc >> 1\n               ^');
  });
});

describe("parseSearchOrder", () => {
  it("parses an identifier with an optional direction", () => {
    expect(parseSearchOrder("metrics.auc DESC")).toEqual({ entity: "metric", key: "auc", descending: true });
    expect(parseSearchOrder("attributes.start_time")).toEqual({ entity: "attribute", key: "start_time", descending: false });
    expect(parseSearchOrder("params.`my key` asc")).toEqual({ entity: "param", key: "my key", descending: false });
  });

  it("refuses anything after the direction", () => {
    const e = syntaxError(() => parseSearchOrder("metrics.auc DESC, metrics.x"));
    expect([e.position, e.token]).toEqual([16, ","]);
    expect(e.message).toMatch(/^searchRuns orderBy: expected the end of the ordering/);
    expect(syntaxError(() => parseSearchOrder("metrics.auc DOWN")).message).toMatch(/expected ASC, DESC or the end of the ordering at position 12 \(token "DOWN"\)/);
  });
});

describe("filter rendering", () => {
  const tables = { latestMetrics: '"s"."latest_metrics"', params: '"s"."params"', tags: '"s"."tags"' };

  it("binds every key and value and puts none of them in the SQL text", () => {
    const evil = "x'; DROP TABLE runs; --";
    const comparisons = parseSearchFilter(`params.\`${evil}\` = '${evil.replace(/'/g, "''")}' and metrics.\`a"b\` > 1 and tags.t IN ('p', 'q')`);
    const p = new SqlParams();
    const sql = renderFilterSql(comparisons, tables, p);
    expect(sql).toBe(
      'EXISTS (SELECT 1 FROM "s"."params" p WHERE p.run_id = r.id AND p.key = $1::text AND p.value = $2::text) AND ' +
        'EXISTS (SELECT 1 FROM "s"."latest_metrics" m WHERE m.run_id = r.id AND m.key = $3::text AND m.value > $4::float8) AND ' +
        'EXISTS (SELECT 1 FROM "s"."tags" g WHERE g.run_id = r.id AND g.key = $5::text AND g.value IN ($6::text, $7::text))',
    );
    expect(p.values).toEqual([evil, evil, 'a"b', 1, "t", "p", "q"]);
  });

  it("renders attributes as columns of r, times as epoch milliseconds, orderings with NULLS LAST", () => {
    const p = new SqlParams();
    expect(renderFilterSql(parseSearchFilter("attributes.end_time < 5 and attributes.status != 'FAILED'"), tables, p)).toBe(
      "r.end_time < to_timestamp($1::float8 / 1000.0) AND r.status <> $2::text",
    );
    expect(renderOrderSql([parseSearchOrder("metrics.auc DESC"), parseSearchOrder("attributes.run_name")], tables, p)).toEqual([
      '(SELECT m.value FROM "s"."latest_metrics" m WHERE m.run_id = r.id AND m.key = $3::text) DESC NULLS LAST',
      "r.name ASC NULLS LAST",
    ]);
    expect(p.values).toEqual([5, "FAILED", "auc"]);
    expect(renderFilterSql([], tables, new SqlParams())).toBe("TRUE");
  });
});
