// Minimal typings for pg-copy-streams 7 (the package ships none); only what the warehouse uses.
declare module "pg-copy-streams" {
  import type { Readable, Writable } from "node:stream";
  import type { Submittable } from "pg";
  export interface CopyToStream extends Readable, Submittable {
    rowCount: number;
  }
  export interface CopyFromStream extends Writable, Submittable {
    rowCount: number;
  }
  export function to(sql: string): CopyToStream;
  export function from(sql: string): CopyFromStream;
  const _default: { to: typeof to; from: typeof from };
  export default _default;
}
