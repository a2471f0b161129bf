/**
 * The command line's filter expressions: `col>=5`, `region = 'emea'`, `segment in (gold, silver)`,
 * `churned is not null`, `day < 2024-03-01`. Several `--filter` flags are joined by AND.
 *
 * Values: `'text'` or `"text"` is a string (double a quote inside); a number is a number (a whole
 * number beyond 2^53 is a bigint); `true`/`false` are booleans; an ISO 8601 date or date-time
 * (`2024-03-01`, `2024-03-01T12:00:00Z`) is a Date (UTC when no offset); any other bare word is a
 * string. Operators: `= == != <> < <= > >= in (…) not in (…) is null is not null`.
 */
import { InvalidArgumentError } from "../errors";
import { validateFilter, type FilterScalar, type Predicate } from "../frame/filter";

const OPS = /^(>=|<=|!=|<>|==|=|<|>)/;
const WORD_OPS = /^(not\s+in|in|is\s+not\s+null|is\s+null)\b/i;
const NUMBER_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const INT_RE = /^[+-]?\d+$/;
const ISO_RE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

function bad(expr: string, why: string): InvalidArgumentError {
  return new InvalidArgumentError(
    `--filter ${JSON.stringify(expr)}: ${why}; write e.g. "amount>=10", "region='emea'", "segment in (gold,silver)" or "note is null".`,
  );
}

/** Parses one value token (already trimmed). */
function parseValue(token: string, expr: string): FilterScalar {
  if (token.length === 0) throw bad(expr, "the value is missing");
  const q = token[0];
  if (q === "'" || q === '"') {
    if (token.length < 2 || token[token.length - 1] !== q) throw bad(expr, `the quoted value ${token} is not closed`);
    const inner = token.slice(1, -1);
    return inner.split(q + q).join(q);
  }
  if (INT_RE.test(token)) {
    const n = Number(token);
    return Number.isSafeInteger(n) ? n : BigInt(token);
  }
  if (NUMBER_RE.test(token)) return Number(token);
  if (/^true$/i.test(token)) return true;
  if (/^false$/i.test(token)) return false;
  if (ISO_RE.test(token)) {
    let iso = token.replace(" ", "T");
    if (iso.length === 10) iso += "T00:00:00Z";
    else if (!/(Z|[+-]\d{2}:?\d{2})$/.test(iso)) iso += "Z";
    const d = new Date(iso);
    if (!Number.isNaN(d.getTime())) return d;
  }
  return token;
}

/** Splits `a, 'b,c', d` at commas outside quotes. */
function splitList(body: string, expr: string): string[] {
  const out: string[] = [];
  let cur = "";
  let quote: string | null = null;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (quote) {
      cur += c;
      if (c === quote) {
        if (body[i + 1] === quote) {
          cur += body[++i];
        } else quote = null;
      }
    } else if (c === "'" || c === '"') {
      quote = c;
      cur += c;
    } else if (c === ",") {
      out.push(cur.trim());
      cur = "";
    } else cur += c;
  }
  if (quote) throw bad(expr, "a quoted value in the list is not closed");
  out.push(cur.trim());
  if (out.some((s) => s.length === 0)) throw bad(expr, "the list has an empty item");
  return out;
}

/**
 * Parses one filter expression into a {@link Predicate}.
 * @example
 * parseFilterExpression("amount>=10"); // ["amount", ">=", 10]
 * parseFilterExpression("segment in (gold, 'silver')"); // ["segment", "in", ["gold", "silver"]]
 */
export function parseFilterExpression(expr: string): Predicate {
  if (typeof expr !== "string") throw new InvalidArgumentError(`--filter needs a text expression, got ${typeof expr}.`);
  const s = expr.trim();
  let column: string;
  let rest: string;
  if (s.startsWith('"')) {
    // A quoted column name: "odd name" >= 3
    let i = 1;
    let name = "";
    for (; i < s.length; i++) {
      if (s[i] === '"') {
        if (s[i + 1] === '"') {
          name += '"';
          i++;
        } else break;
      } else name += s[i];
    }
    if (i >= s.length) throw bad(expr, "the quoted column name is not closed");
    column = name;
    rest = s.slice(i + 1).trim();
  } else {
    const m = /^[^\s<>=!]+/.exec(s);
    if (!m) throw bad(expr, "it does not start with a column name");
    column = m[0];
    rest = s.slice(m[0].length).trim();
  }
  if (!column) throw bad(expr, "the column name is empty");
  const sym = OPS.exec(rest);
  if (sym) {
    const op = sym[1] === "==" ? "=" : sym[1] === "<>" ? "!=" : (sym[1] as "=" | "!=" | "<" | "<=" | ">" | ">=");
    const value = parseValue(rest.slice(sym[1].length).trim(), expr);
    return validateFilter([[column, op, value]])[0];
  }
  const word = WORD_OPS.exec(rest);
  if (!word) throw bad(expr, `no operator after the column ${JSON.stringify(column)}`);
  const op = word[1].toLowerCase().replace(/\s+/g, " ");
  const after = rest.slice(word[0].length).trim();
  if (op === "is null" || op === "is not null") {
    if (after) throw bad(expr, `unexpected ${JSON.stringify(after)} after "${op}"`);
    return validateFilter([[column, op]])[0];
  }
  if (!after.startsWith("(") || !after.endsWith(")")) throw bad(expr, `"${op}" needs a parenthesised list, e.g. (a, b)`);
  const values = splitList(after.slice(1, -1), expr).map((t) => parseValue(t, expr));
  return validateFilter([[column, op as "in" | "not in", values]])[0];
}
