/**
 * Canonical JSON and hashing for model artifacts.
 *
 * The canonical form of a JSON value is the JSON Canonicalization Scheme of RFC 8785, which is what
 * ECMAScript's own serialisation gives once object keys are sorted:
 * - no whitespace anywhere;
 * - object keys sorted by their UTF-16 code units (JavaScript's default `sort()` on strings);
 * - strings and numbers written exactly as `JSON.stringify` writes them (shortest round-trip
 *   number form, `-0` written as `0`);
 * - only JSON values: `null`, booleans, finite numbers, strings, arrays and plain objects. `NaN`,
 *   `±Infinity`, `undefined`, functions, bigints and class instances are refused (an object key whose
 *   value is `undefined` is refused too, so a value never disappears silently);
 * - the text is encoded as UTF-8 before hashing.
 */
import { createHash } from "node:crypto";
import { InvalidArgumentError } from "@trellis/shared";

function isPlainObject(v: object): boolean {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function write(v: unknown, path: string, out: string[]): void {
  if (v === null) {
    out.push("null");
    return;
  }
  switch (typeof v) {
    case "boolean":
      out.push(v ? "true" : "false");
      return;
    case "string":
      out.push(JSON.stringify(v));
      return;
    case "number":
      if (!Number.isFinite(v)) throw new InvalidArgumentError(`canonicalJson: ${path} is ${v}, which JSON cannot hold; store it as a string or leave it out.`);
      out.push(JSON.stringify(v));
      return;
    case "object": {
      if (Array.isArray(v)) {
        out.push("[");
        for (let i = 0; i < v.length; i++) {
          if (i) out.push(",");
          write(v[i], `${path}[${i}]`, out);
        }
        out.push("]");
        return;
      }
      if (!isPlainObject(v)) {
        throw new InvalidArgumentError(`canonicalJson: ${path} is a ${(v as object).constructor?.name ?? "object"}; only plain objects, arrays and JSON scalars are allowed.`);
      }
      const keys = Object.keys(v).sort();
      out.push("{");
      for (let i = 0; i < keys.length; i++) {
        if (i) out.push(",");
        out.push(JSON.stringify(keys[i]), ":");
        write((v as Record<string, unknown>)[keys[i]], `${path}.${keys[i]}`, out);
      }
      out.push("}");
      return;
    }
    default:
      throw new InvalidArgumentError(`canonicalJson: ${path} is ${typeof v === "undefined" ? "undefined" : `a ${typeof v}`}, which JSON cannot hold; leave the key out or use null.`);
  }
}

/**
 * The canonical JSON text of a value (RFC 8785: sorted keys, no whitespace, ECMAScript number and
 * string forms). Throws an InvalidArgumentError naming the path of a value JSON cannot hold.
 * @example canonicalJson({ b: [1, 2.5], a: "x" }) // '{"a":"x","b":[1,2.5]}'
 */
export function canonicalJson(value: unknown): string {
  const out: string[] = [];
  write(value, "value", out);
  return out.join("");
}

/**
 * Lower-case hex SHA-256 of bytes or of a string's UTF-8 encoding.
 * @example sha256Hex("") // "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
 */
export function sha256Hex(data: Uint8Array | string): string {
  return createHash("sha256").update(data).digest("hex");
}
