/**
 * What an artifact records about its estimator (class, input columns, task, classes, output
 * columns), and the check that an input schema can feed it.
 */
import { InvalidArgumentError, NotFittedError } from "@trellis/shared";
import { BaseEstimator } from "../base/estimator";
import type { ColumnKind } from "../base/frame";
import type { Label } from "../base/labels";
import { isClassifier } from "../base/mixins";
import { Pipeline } from "../pipeline";
import type { InputField, InputSchemaDescriptor } from "./input-schema";

/** The facts about a fitted estimator that a manifest records. */
export interface ModelInfo {
  className: string;
  inputColumns: { name: string; kind: ColumnKind }[];
  task: "classification" | "regression";
  classes: Label[] | null;
  outputColumns: string[];
}

/** The last non-passthrough step of nested pipelines (the estimator that predicts). */
export function finalPredictor(model: BaseEstimator): BaseEstimator {
  let m: BaseEstimator | "passthrough" = model;
  while (m instanceof Pipeline) m = m.finalEstimator as BaseEstimator | "passthrough";
  if (m === "passthrough") {
    throw new InvalidArgumentError(`${model.estimatorName}: the final step is "passthrough"; a deployed model needs a final classifier or regressor.`);
  }
  return m;
}

/**
 * The output columns of scoring: `prediction`, then `proba_<class>` for each class of a classifier.
 * @example outputColumnsOf(["no", "yes"]) // ["prediction", "proba_no", "proba_yes"]
 */
export function outputColumnsOf(classes: readonly Label[] | null): string[] {
  return ["prediction", ...(classes ?? []).map((c) => `proba_${String(c)}`)];
}

const NUMBER_FIELD_TYPES = new Set(["number", "integer", "boolean"]);
const CATEGORY_FIELD_TYPES = new Set(["string", "enum"]);

/**
 * Reads the facts of a fitted estimator and checks that the input schema declares every column it
 * reads, with a type of the right kind (numbers, integers or booleans for a numeric column; strings
 * or enums for a categorical one).
 */
export function modelInfo(model: unknown, fields: InputSchemaDescriptor, caller: string): ModelInfo {
  if (!(model instanceof BaseEstimator)) {
    throw new InvalidArgumentError(`${caller}: expected a fitted Trellis estimator (a Pipeline, LogisticRegression, ...), got ${model === null ? "null" : typeof model === "object" ? (model as object).constructor?.name ?? "an object" : typeof model}.`);
  }
  if (!model.isFitted()) throw new NotFittedError(model.estimatorName, `${model.estimatorName} is not fitted yet: call fit() before ${caller}.`);
  if (typeof (model as unknown as { predict?: unknown }).predict !== "function") {
    throw new InvalidArgumentError(`${caller}: ${model.estimatorName} does not predict (it is a transformer); deploy a classifier, a regressor or a Pipeline ending in one.`);
  }
  const final = finalPredictor(model);
  const classifier = isClassifier(final);
  const classes = classifier ? [...(model as unknown as { classes_: Label[] }).classes_] : null;
  const names = model.featureNamesIn_;
  const kinds = model.featureKindsIn_;
  const byName = new Map<string, InputField>(fields.map((f) => [f.name, f]));
  const problems: string[] = [];
  for (let j = 0; j < names.length; j++) {
    const f = byName.get(names[j]);
    if (!f) problems.push(`column ${JSON.stringify(names[j])} (read as ${kinds[j] === "number" ? "a number" : "a category"}) is not declared`);
    else if (kinds[j] === "number" && !NUMBER_FIELD_TYPES.has(f.type)) problems.push(`column ${JSON.stringify(names[j])} is read as a number but declared as ${f.type}`);
    else if (kinds[j] === "category" && !CATEGORY_FIELD_TYPES.has(f.type)) problems.push(`column ${JSON.stringify(names[j])} is read as a category but declared as ${f.type}`);
  }
  if (problems.length) {
    throw new InvalidArgumentError(
      `${caller}: the input schema does not fit ${model.estimatorName}: ${problems.join("; ")}. Declare every column the model was fitted on (numbers as z.number()/z.int()/z.boolean(), categories as z.string()/z.enum()).`,
    );
  }
  return {
    className: model.estimatorName,
    inputColumns: names.map((name, j) => ({ name, kind: kinds[j] })),
    task: classifier ? "classification" : "regression",
    classes,
    outputColumns: outputColumnsOf(classes),
  };
}
