/**
 * Shows class probabilities the way a person reads them, keyed by the class label:
 * `churned=0: 0.66, churned=1: 0.34` rather than a typed array's `{"0":0.66,"1":0.34}`.
 * @example
 * probabilitiesByClass("churned", [0, 1], Float64Array.of(0.657, 0.343)); // "churned=0: 0.66, churned=1: 0.34"
 */
export function probabilitiesByClass(target: string, classes: readonly unknown[], proba: ArrayLike<number>, digits = 2): string {
  if (classes.length !== proba.length) {
    throw new RangeError(`probabilitiesByClass: ${classes.length} classes but ${proba.length} probabilities.`);
  }
  return Array.from(classes, (c, i) => `${target}=${String(c)}: ${proba[i].toFixed(digits)}`).join(", ");
}
