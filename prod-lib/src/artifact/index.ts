/**
 * Model artifacts: a folder (or a set of files) holding a fitted estimator with its manifest —
 * input schema, output, library versions, file hashes, metrics, lineage — and optionally the
 * reference profile of its training data. See ARCHITECTURE.md ("Model artifacts") for the format.
 */
export { saveModel, packModel, writeArtifactFiles } from "./save";
export type { SaveModelOptions, SavedModel, PackedModel, ArtifactFiles } from "./save";
export { loadModel, loadModelFromFiles, readArtifactFiles, verifyArtifact } from "./load";
export type { LoadModelOptions, LoadedModel, ArtifactVerification, ArtifactProblem } from "./load";
export {
  manifestDigest,
  isCompatibleVersion,
  checkCompatibility,
  ARTIFACT_FORMAT,
  ARTIFACT_FORMAT_VERSION,
  MANIFEST_FILE,
  DIGEST_FILE,
  MODEL_FILE,
  REFERENCE_FILE,
  INCOMPATIBLE_WARNING_CODE,
} from "./manifest";
export type {
  ModelManifest,
  ArtifactFileEntry,
  ModelLineage,
  LineageFeatureView,
  TrainingDataLineage,
  VersionPolicy,
  CompatibilityCheck,
} from "./manifest";
export { canonicalJson, sha256Hex } from "./canonical";
export { describeInputSchema, inputSchemaFromDescriptor, inputJsonSchema } from "./input-schema";
export type { InputField, InputFieldType, InputSchemaDescriptor, NumberBound } from "./input-schema";
export { trainingDataDigest, gitState, TRAINING_DIGEST_METHOD } from "./lineage";
export type { LineageInput, TrainingRows } from "./lineage";
export { outputColumnsOf } from "./model-info";
