/**
 * @trellis/dev — the experimentation side of Trellis: seeded randomness and data splits (more in
 * later releases: sampling in the warehouse, cross-validation, search, exploration, tracking).
 */
export { seededRandom, permutation } from "./random/seeded";
export { trainTestSplit, trainTestIndices } from "./model-selection/train-test-split";
export type { Splittable, SplitResult, TrainTestSplitOptions } from "./model-selection/train-test-split";
export { sample, sampleEntities, keyDigest, keyText, escapeKeyPart, inFraction, stratumQuotas } from "./sampling/sample";
export type { SampleSource, SampleOptions, SampleResult, StratumSize, SampleEntitiesOptions } from "./sampling/sample";
