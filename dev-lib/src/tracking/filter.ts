/**
 * MLflow's run-search syntax: a tokenizer, a parser into comparisons, and their rendering as SQL in
 * which every key and every value is a bound parameter. The SQL text holds only fixed fragments and
 * `$n` placeholders, so nothing a user writes can change the statement.
 *
 * Grammar (keywords case-insensitive):
 * ```
 * filter     := ε | comparison ( AND comparison )*
 * comparison := identifier op value
 * identifier := entity "." key
 * entity     := metrics | metric | params | param | parameters | tags | tag | attributes | attribute | attr | run
 * key        := bare | `backticked` | "double quoted"      bare = [A-Za-z0-9_.]+ ; `` inside backticks is one `
 * op         := = | != | <> | < | <= | > | >= | LIKE | ILIKE | IN | NOT IN
 * value      := number | 'string' | "string" | "(" value ( "," value )* ")"   (lists only after IN / NOT IN)
 * orderBy    := identifier [ ASC | DESC ]
 * ```
 * A quote inside a string is written twice (`'it''s'`).
 */
import { FilterSyntaxError } from "./errors";

/** What a comparison or an ordering reads: a metric, a param, a tag or a run attribute. */
export type SearchEntity = "metric" | "param" | "tag" | "attribute";

/** The comparison operators of the filter syntax. */
export type SearchOperator = "=" | "!=" | "<" | "<=" | ">" | ">=" | "LIKE" | "ILIKE" | "IN" | "NOT IN";

/** One parsed comparison: `metrics.auc > 0.8` → `{ entity: "metric", key: "auc", op: ">", value: 0.8 }`. */
export interface SearchComparison {
  entity: SearchEntity;
  /** The metric, param or tag key, or the canonical attribute name (`run_id`, `run_name`, `status`, `start_time`, `end_time`, `parent_run_id`). */
  key: string;
  op: SearchOperator;
  value: string | number | readonly (string | number)[];
  /** 0-based offset of the identifier in the filter text. */
  position: number;
}

/** One parsed ordering: `metrics.auc DESC`. */
export interface SearchOrder {
  entity: SearchEntity;
  key: string;
  descending: boolean;
}

type TokenKind = "ident" | "string" | "number" | "op" | "keyword" | "lparen" | "rparen" | "comma" | "eof";

interface Token {
  kind: TokenKind;
  /** The source text of the token. */
  text: string;
  position: number;
  /** ident: entity and key; string: the unquoted value; number: the value; keyword: upper-cased word. */
  entity?: SearchEntity;
  key?: string;
  value?: string | number;
}

const ENTITIES: Record<string, SearchEntity> = {
  metrics: "metric",
  metric: "metric",
  params: "param",
  param: "param",
  parameters: "param",
  parameter: "param",
  tags: "tag",
  tag: "tag",
  attributes: "attribute",
  attribute: "attribute",
  attr: "attribute",
  run: "attribute",
};

const KEYWORDS = new Set(["AND", "OR", "LIKE", "ILIKE", "IN", "NOT", "ASC", "DESC", "IS", "NULL"]);

/** Attribute names (and MLflow's aliases) → the canonical name. */
const ATTRIBUTES: Record<string, string> = {
  run_id: "run_id",
  id: "run_id",
  run_name: "run_name",
  name: "run_name",
  status: "status",
  start_time: "start_time",
  end_time: "end_time",
  parent_run_id: "parent_run_id",
};

const TIME_ATTRIBUTES = new Set(["start_time", "end_time"]);
const STRING_OPS: readonly SearchOperator[] = ["=", "!=", "LIKE", "ILIKE", "IN", "NOT IN"];
const NUMBER_OPS: readonly SearchOperator[] = ["=", "!=", "<", "<=", ">", ">="];

class Lexer {
  private pos = 0;
  constructor(
    private readonly input: string,
    private readonly what: string,
  ) {}

  private fail(position: number, token: string, problem: string): never {
    throw new FilterSyntaxError(this.what, this.input, position, token, problem);
  }

  tokens(): Token[] {
    const out: Token[] = [];
    for (;;) {
      const t = this.next();
      out.push(t);
      if (t.kind === "eof") return out;
    }
  }

  /** A quoted run (`'…'`, `"…"` or backticks) starting at `start`; the quote char doubled stands for itself. */
  private quoted(start: number): { value: string; end: number } {
    const q = this.input[start];
    let value = "";
    let i = start + 1;
    for (;;) {
      if (i >= this.input.length) {
        this.fail(start, this.input.slice(start), `unterminated ${q === "`" ? "backticked key" : "string"} (no closing ${q})`);
      }
      const c = this.input[i];
      if (c === q) {
        if (this.input[i + 1] === q) {
          value += q;
          i += 2;
          continue;
        }
        return { value, end: i + 1 };
      }
      value += c;
      i++;
    }
  }

  private next(): Token {
    const s = this.input;
    while (this.pos < s.length && /\s/.test(s[this.pos])) this.pos++;
    const start = this.pos;
    if (start >= s.length) return { kind: "eof", text: "", position: start };
    const c = s[start];
    if (c === "(") return this.simple("lparen", 1);
    if (c === ")") return this.simple("rparen", 1);
    if (c === ",") return this.simple("comma", 1);
    const op = /^(<=|>=|!=|<>|=|<|>)/.exec(s.slice(start));
    if (op) {
      this.pos += op[0].length;
      return { kind: "op", text: op[0], position: start, value: op[0] === "<>" ? "!=" : op[0] };
    }
    if (c === "'" || c === '"') {
      const { value, end } = this.quoted(start);
      this.pos = end;
      return { kind: "string", text: s.slice(start, end), position: start, value };
    }
    if (c === "`") this.fail(start, "`", "a backticked key needs an entity before it, e.g. metrics.`my key`");
    const num = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/.exec(s.slice(start));
    if (num) {
      const after = s[start + num[0].length];
      if (after !== undefined && /[A-Za-z_.]/.test(after)) {
        const bad = /^\S+/.exec(s.slice(start))![0];
        this.fail(start, bad, "not a number");
      }
      this.pos += num[0].length;
      return { kind: "number", text: num[0], position: start, value: Number(num[0]) };
    }
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(s.slice(start));
    if (word) {
      const w = word[0];
      const entity = ENTITIES[w.toLowerCase()];
      if (entity !== undefined && s[start + w.length] === ".") {
        return this.identifier(start, w, entity);
      }
      this.pos += w.length;
      if (KEYWORDS.has(w.toUpperCase())) return { kind: "keyword", text: w, position: start, value: w.toUpperCase() };
      if (s[start + w.length] === ".") {
        this.fail(start, w, `unknown prefix ${JSON.stringify(w)}; use metrics., params., tags. or attributes.`);
      }
      return { kind: "keyword", text: w, position: start, value: w.toUpperCase() };
    }
    this.fail(start, c, "unexpected character");
  }

  private simple(kind: TokenKind, length: number): Token {
    const t = { kind, text: this.input.slice(this.pos, this.pos + length), position: this.pos };
    this.pos += length;
    return t;
  }

  private identifier(start: number, word: string, entity: SearchEntity): Token {
    const s = this.input;
    const keyStart = start + word.length + 1;
    let key: string;
    let end: number;
    const k = s[keyStart];
    if (k === "`" || k === '"') {
      const q = this.quoted(keyStart);
      key = q.value;
      end = q.end;
    } else {
      const bare = /^[A-Za-z0-9_.]+/.exec(s.slice(keyStart));
      if (!bare) {
        const bad = k === undefined ? "" : (/^\S+/.exec(s.slice(keyStart))?.[0] ?? k);
        this.fail(keyStart, bad, `expected a key after ${JSON.stringify(word + ".")}; wrap keys with other characters in backticks, e.g. ${word}.\`my-key\``);
      }
      key = bare[0];
      end = keyStart + key.length;
      const after = s[end];
      if (after !== undefined && !/[\s=!<>(),]/.test(after)) {
        const bad = /^[^\s=!<>(),]+/.exec(s.slice(start))![0];
        this.fail(start, bad, `the key contains ${JSON.stringify(after)}; wrap keys with such characters in backticks, e.g. ${word}.\`${key}${after}…\``);
      }
    }
    if (key === "") this.fail(keyStart, s.slice(keyStart, end), "empty key");
    this.pos = end;
    return { kind: "ident", text: s.slice(start, end), position: start, entity, key };
  }
}

class Parser {
  private i = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly input: string,
    private readonly what: string,
  ) {}

  private get peek(): Token {
    return this.tokens[this.i];
  }

  private fail(t: Token, problem: string): never {
    throw new FilterSyntaxError(this.what, this.input, t.position, t.text, problem);
  }

  private isKeyword(t: Token, word: string): boolean {
    return t.kind === "keyword" && t.value === word;
  }

  /** An identifier with its attribute name checked. */
  identifier(): Token & { entity: SearchEntity; key: string } {
    const t = this.peek;
    if (t.kind !== "ident") {
      this.fail(t, t.kind === "eof" ? "expected an identifier such as metrics.auc, params.C, tags.team or attributes.status" : "expected an identifier such as metrics.auc, params.C, tags.team or attributes.status, not this token");
    }
    this.i++;
    let key = t.key!;
    if (t.entity === "attribute") {
      const canonical = ATTRIBUTES[key.toLowerCase()];
      if (canonical === undefined) {
        this.fail(t, `unknown attribute ${JSON.stringify(key)}; attributes are ${Object.keys(ATTRIBUTES).join(", ")}`);
      }
      key = canonical;
    }
    return { ...t, entity: t.entity!, key };
  }

  filter(): SearchComparison[] {
    const out: SearchComparison[] = [];
    if (this.peek.kind === "eof") return out;
    for (;;) {
      out.push(this.comparison());
      const t = this.peek;
      if (t.kind === "eof") return out;
      if (this.isKeyword(t, "AND")) {
        this.i++;
        continue;
      }
      if (this.isKeyword(t, "OR")) this.fail(t, "OR is not supported: a filter is an AND of comparisons (run two searches instead)");
      this.fail(t, "expected AND or the end of the filter");
    }
  }

  private operator(): SearchOperator {
    const t = this.peek;
    if (t.kind === "op") {
      this.i++;
      return t.value as SearchOperator;
    }
    if (this.isKeyword(t, "LIKE") || this.isKeyword(t, "ILIKE") || this.isKeyword(t, "IN")) {
      this.i++;
      return t.value as SearchOperator;
    }
    if (this.isKeyword(t, "NOT")) {
      this.i++;
      const n = this.peek;
      if (!this.isKeyword(n, "IN")) this.fail(n, "expected IN after NOT");
      this.i++;
      return "NOT IN";
    }
    if (this.isKeyword(t, "IS")) this.fail(t, "IS [NOT] NULL is not supported; compare with a value");
    this.fail(t, "expected a comparison operator (=, !=, <, <=, >, >=, LIKE, ILIKE, IN, NOT IN)");
  }

  private scalar(): Token {
    const t = this.peek;
    if (t.kind === "string" || t.kind === "number") {
      this.i++;
      return t;
    }
    this.fail(t, "expected a value: a number or a quoted string");
  }

  private comparison(): SearchComparison {
    const id = this.identifier();
    const opToken = this.peek;
    const op = this.operator();
    const entityName = id.entity === "attribute" ? `attributes.${id.key}` : id.text;
    const isTime = id.entity === "attribute" && TIME_ATTRIBUTES.has(id.key);
    const numeric = id.entity === "metric" || isTime;
    const allowed = numeric ? NUMBER_OPS : STRING_OPS;
    if (!allowed.includes(op)) {
      this.fail(opToken, `operator ${op} does not apply to ${entityName}; use one of ${allowed.join(", ")}`);
    }
    const check = (v: Token) => {
      if (numeric && v.kind !== "number") {
        this.fail(v, `${entityName} compares with a number${isTime ? " (milliseconds since 1970-01-01 UTC)" : ""}; remove the quotes`);
      }
      if (!numeric && v.kind !== "string") {
        this.fail(v, `${entityName} compares with a string; quote the value, e.g. ${entityName} = '${v.text}'`);
      }
      return v.value!;
    };
    if (op === "IN" || op === "NOT IN") {
      const open = this.peek;
      if (open.kind !== "lparen") this.fail(open, `expected "(" to start the list after ${op}`);
      this.i++;
      const values: (string | number)[] = [check(this.scalar())];
      for (;;) {
        const t = this.peek;
        if (t.kind === "comma") {
          this.i++;
          values.push(check(this.scalar()));
          continue;
        }
        if (t.kind === "rparen") {
          this.i++;
          break;
        }
        this.fail(t, `expected "," or ")" in the list after ${op}`);
      }
      return { entity: id.entity, key: id.key, op, value: values, position: id.position };
    }
    return { entity: id.entity, key: id.key, op, value: check(this.scalar()), position: id.position };
  }

  order(): SearchOrder {
    const id = this.identifier();
    let descending = false;
    const t = this.peek;
    if (this.isKeyword(t, "ASC") || this.isKeyword(t, "DESC")) {
      descending = t.value === "DESC";
      this.i++;
    } else if (t.kind !== "eof") {
      this.fail(t, "expected ASC, DESC or the end of the ordering");
    }
    const end = this.peek;
    if (end.kind !== "eof") this.fail(end, "expected the end of the ordering");
    return { entity: id.entity, key: id.key, descending };
  }
}

/**
 * Parses an MLflow-style filter into comparisons (an AND of them). Throws a
 * {@link FilterSyntaxError} with the position and token of the first problem.
 * @example
 * parseSearchFilter("metrics.auc > 0.8 and params.C = '1'");
 * // [{ entity: "metric", key: "auc", op: ">", value: 0.8, position: 0 }, { entity: "param", key: "C", op: "=", value: "1", position: 22 }]
 */
export function parseSearchFilter(filter: string): SearchComparison[] {
  if (typeof filter !== "string") {
    throw new FilterSyntaxError("searchRuns filter", String(filter), 0, "", `expected a string, got ${typeof filter}`);
  }
  const tokens = new Lexer(filter, "searchRuns filter").tokens();
  return new Parser(tokens, filter, "searchRuns filter").filter();
}

/**
 * Parses one `orderBy` item such as `"metrics.auc DESC"` or `"attributes.start_time"` (ascending).
 * @example
 * parseSearchOrder("metrics.auc DESC"); // { entity: "metric", key: "auc", descending: true }
 */
export function parseSearchOrder(item: string): SearchOrder {
  if (typeof item !== "string") {
    throw new FilterSyntaxError("searchRuns orderBy", String(item), 0, "", `expected a string such as "metrics.auc DESC", got ${typeof item}`);
  }
  const tokens = new Lexer(item, "searchRuns orderBy").tokens();
  return new Parser(tokens, item, "searchRuns orderBy").order();
}

/** Collects bound parameters and hands out their `$n` placeholders. @internal */
export class SqlParams {
  readonly values: unknown[] = [];
  /** The placeholder of a new parameter with an explicit type cast. */
  add(value: unknown, type: "text" | "float8" | "bigint"): string {
    this.values.push(value);
    return `$${this.values.length}::${type}`;
  }
}

/** The quoted table names the rendering needs. @internal */
export interface SearchTables {
  latestMetrics: string;
  params: string;
  tags: string;
}

const SQL_OPS: Record<SearchOperator, string> = {
  "=": "=",
  "!=": "<>",
  "<": "<",
  "<=": "<=",
  ">": ">",
  ">=": ">=",
  LIKE: "LIKE",
  ILIKE: "ILIKE",
  IN: "IN",
  "NOT IN": "NOT IN",
};

const ATTRIBUTE_COLUMNS: Record<string, string> = {
  run_id: "r.id",
  run_name: "r.name",
  status: "r.status",
  start_time: "r.start_time",
  end_time: "r.end_time",
  parent_run_id: "r.parent_run_id",
};

function valueSql(c: SearchComparison, value: string | number, params: SqlParams): string {
  if (c.entity === "metric") return params.add(value, "float8");
  if (c.entity === "attribute" && TIME_ATTRIBUTES.has(c.key)) return `to_timestamp(${params.add(value, "float8")} / 1000.0)`;
  return params.add(value, "text");
}

function predicate(column: string, c: SearchComparison, params: SqlParams): string {
  if (c.op === "IN" || c.op === "NOT IN") {
    const list = (c.value as readonly (string | number)[]).map((v) => valueSql(c, v, params));
    return `${column} ${SQL_OPS[c.op]} (${list.join(", ")})`;
  }
  return `${column} ${SQL_OPS[c.op]} ${valueSql(c, c.value as string | number, params)}`;
}

/**
 * Renders comparisons as one SQL condition over the runs table aliased `r`. Metrics compare on the
 * latest value of each key; a run without the metric, param or tag never matches (also for `!=`
 * and `NOT IN`), as in MLflow.
 * @internal
 */
export function renderFilterSql(comparisons: readonly SearchComparison[], t: SearchTables, params: SqlParams): string {
  const parts = comparisons.map((c) => {
    switch (c.entity) {
      case "metric":
        return `EXISTS (SELECT 1 FROM ${t.latestMetrics} m WHERE m.run_id = r.id AND m.key = ${params.add(c.key, "text")} AND ${predicate("m.value", c, params)})`;
      case "param":
        return `EXISTS (SELECT 1 FROM ${t.params} p WHERE p.run_id = r.id AND p.key = ${params.add(c.key, "text")} AND ${predicate("p.value", c, params)})`;
      case "tag":
        return `EXISTS (SELECT 1 FROM ${t.tags} g WHERE g.run_id = r.id AND g.key = ${params.add(c.key, "text")} AND ${predicate("g.value", c, params)})`;
      case "attribute":
        return predicate(ATTRIBUTE_COLUMNS[c.key], c, params);
    }
  });
  return parts.length ? parts.join(" AND ") : "TRUE";
}

/** Renders orderings (runs without the key last in either direction). @internal */
export function renderOrderSql(orders: readonly SearchOrder[], t: SearchTables, params: SqlParams): string[] {
  return orders.map((o) => {
    const dir = o.descending ? "DESC" : "ASC";
    switch (o.entity) {
      case "metric":
        return `(SELECT m.value FROM ${t.latestMetrics} m WHERE m.run_id = r.id AND m.key = ${params.add(o.key, "text")}) ${dir} NULLS LAST`;
      case "param":
        return `(SELECT p.value FROM ${t.params} p WHERE p.run_id = r.id AND p.key = ${params.add(o.key, "text")}) ${dir} NULLS LAST`;
      case "tag":
        return `(SELECT g.value FROM ${t.tags} g WHERE g.run_id = r.id AND g.key = ${params.add(o.key, "text")}) ${dir} NULLS LAST`;
      case "attribute":
        return `${ATTRIBUTE_COLUMNS[o.key]} ${dir} NULLS LAST`;
    }
  });
}
