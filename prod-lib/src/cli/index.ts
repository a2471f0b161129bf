/**
 * @trellis/prod/cli — the `trellis model …` commands, loaded by the `trellis` executable of
 * @trellis/shared at call time (shared never imports prod).
 */
export { runModelCommand, runProdCli, formatManifest } from "./model";
