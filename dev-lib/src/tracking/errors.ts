/**
 * Errors of experiment tracking: a run in the wrong state, a parameter logged twice with different
 * values, a malformed search filter.
 */
import { TrellisError } from "@trellis/shared";

/**
 * A tracking operation cannot be done: unknown run or experiment, a run that is no longer active,
 * a parameter or artifact logged again with a different value, a schema written by a newer release.
 * @example
 * try { await run.logParam("C", 2); } catch (e) { if (e instanceof TrackingError) console.log(e.message); }
 */
export class TrackingError extends TrellisError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("TRACKING", message, options);
  }
}

/**
 * A `searchRuns` filter or `orderBy` clause that does not parse or names something unsupported.
 * `position` is the 0-based character offset of the offending token in `input`, `token` its text
 * (empty at the end of the input).
 * @example
 * try { await tracker.searchRuns({ filter: "metrics.auc >> 1" }); }
 * catch (e) { if (e instanceof FilterSyntaxError) console.log(e.position, e.token); } // 13 ">"
 */
export class FilterSyntaxError extends TrellisError {
  readonly input: string;
  readonly position: number;
  readonly token: string;
  constructor(what: string, input: string, position: number, token: string, problem: string) {
    const caret = `${" ".repeat(Math.min(position, input.length))}^`;
    super(
      "INVALID_ARGUMENT",
      `${what}: ${problem} at position ${position}${token === "" ? " (end of input)" : ` (token ${JSON.stringify(token)})`}.\n  ${input}\n  ${caret}`,
    );
    this.input = input;
    this.position = position;
    this.token = token;
  }
}
