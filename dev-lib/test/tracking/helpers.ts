/**
 * Tracking tests run on embedded PGlite always and on the server of TRELLIS_TEST_PG_URL when set.
 * On the server the tracking tables go into the file's own schema (dropped afterwards).
 */
import { beforeAll } from "vitest";
import type { Warehouse } from "@trellis/shared";
import { Tracker } from "@trellis/dev";
import { useWarehouses, type WarehouseTarget } from "../../../shared/test/helpers/warehouses";

export { TEST_PG_URL, uniqueName, withSearchPath } from "../../../shared/test/helpers/warehouses";

/** A backend with one warehouse and one tracker opened on it for the whole file. */
export interface TrackerTarget {
  readonly name: WarehouseTarget["name"];
  readonly target: WarehouseTarget;
  /** The tracking schema used on this backend. */
  readonly schema: string;
  warehouse: Warehouse;
  tracker: Tracker;
}

/** Registers the hooks and returns one opened tracker per backend. Call once at the top of a file. */
export function useTrackers(): TrackerTarget[] {
  return useWarehouses().map((target) => {
    const entry = { name: target.name, target, schema: target.schema ?? "trellis_tracking" } as TrackerTarget;
    beforeAll(async () => {
      entry.warehouse = await target.open();
      entry.tracker = await Tracker.open(entry.warehouse, { schema: entry.schema });
    });
    return entry;
  });
}
