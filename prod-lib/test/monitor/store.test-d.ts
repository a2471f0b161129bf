import { expectTypeOf, test } from "vitest";
import type { MonitoredModel, ReferenceProfile } from "../../src/index";

test("a loaded model with getters satisfies MonitoredModel without naming it", () => {
  class LoadedModel {
    constructor(private readonly manifest: { name: string; version: number; digest: string; reference: ReferenceProfile | null }) {}
    get name(): string {
      return this.manifest.name;
    }
    get version(): number {
      return this.manifest.version;
    }
    get digest(): string {
      return this.manifest.digest;
    }
    get reference(): ReferenceProfile | null {
      return this.manifest.reference;
    }
    predict(rows: unknown[]): number[] {
      return rows.map(() => 0);
    }
  }
  expectTypeOf<LoadedModel>().toExtend<MonitoredModel>();
  expectTypeOf<{ name: string; reference: ReferenceProfile }>().toExtend<MonitoredModel>();
  expectTypeOf<{ name: string }>().not.toExtend<MonitoredModel>();
});
