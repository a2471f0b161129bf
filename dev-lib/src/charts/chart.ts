/**
 * The object every chart function returns: the SVG text, a one-line description, and ways to show
 * or save it.
 */
import { renameSync, writeFileSync, unlinkSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { DataIoError } from "@trellis/shared";
import type { Scale } from "./svg";

/** Options every chart takes. */
export interface ChartOptions {
  /** Width in pixels (default 640). */
  width?: number;
  /** Height in pixels (default 400). */
  height?: number;
  /** A heading above the plot (each chart has a default). */
  title?: string;
  /** The x axis title. */
  xLabel?: string;
  /** The y axis title. */
  yLabel?: string;
}

/** A scale's mapping, recorded so that pixel positions can be read back. */
export interface ScaleInfo {
  kind: "linear" | "log";
  domain: readonly [number, number];
  range: readonly [number, number];
}

function info(scale: Scale | undefined): ScaleInfo | undefined {
  return scale ? { kind: scale.kind, domain: scale.domain, range: scale.range } : undefined;
}

/**
 * A rendered chart: `svg` is a standalone SVG document (with `xmlns`, so it also displays as an
 * image file); `toString()` describes it in one line of text; `toHTML()` is the inline SVG;
 * `save(path)` writes it. `display(chart)` picks the richest of these.
 * @example
 * const chart = histogram(trainTable, "tenure_months");
 * chart.save("tenure.svg");
 * String(chart); // "histogram of tenure_months: 11 bins over [0, 119], 600 values"
 */
export class Chart {
  /** What kind of chart this is ("histogram", "roc", …). */
  readonly kind: string;
  /** The SVG document. */
  readonly svg: string;
  /** A one-line text description (also the SVG's `<title>`). */
  readonly description: string;
  /** The numeric x and y scales, when the chart has them (pixel = scale(value)). */
  readonly scales: { x?: ScaleInfo; y?: ScaleInfo };

  constructor(kind: string, svg: string, description: string, scales: { x?: Scale; y?: Scale } = {}) {
    this.kind = kind;
    this.svg = svg;
    this.description = description;
    this.scales = { x: info(scales.x), y: info(scales.y) };
  }

  /** The one-line description. */
  toString(): string {
    return this.description;
  }

  /** The SVG, to inline in an HTML page or a notebook cell. */
  toHTML(): string {
    return this.svg;
  }

  /**
   * Writes the SVG to `path` (replaced atomically: a temporary file renamed into place) and returns
   * the absolute path. A path ending in `.html` gets a minimal HTML page around the SVG.
   * @example chart.save("reports/roc.svg")
   */
  save(path: string): string {
    const target = resolve(path);
    const body = target.toLowerCase().endsWith(".html")
      ? `<!doctype html>\n<html><head><meta charset="utf-8"><title>${this.kind}</title></head><body>\n${this.svg}\n</body></html>\n`
      : `${this.svg}\n`;
    const temp = join(dirname(target), `.${basename(target)}.${process.pid}.tmp`);
    try {
      writeFileSync(temp, body, "utf8");
      renameSync(temp, target);
    } catch (error) {
      try {
        unlinkSync(temp);
      } catch {
        // the temporary file was never created
      }
      throw new DataIoError(`Chart.save: cannot write ${JSON.stringify(target)}: ${(error as Error).message}; check the folder exists and is writable.`, {
        path: target,
        cause: error,
      });
    }
    return target;
  }
}
