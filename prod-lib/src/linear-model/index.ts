/**
 * Linear models and their solvers.
 */
export { LinearRegression, Ridge } from "./linear-regression";
export type { LinearRegressionOptions, RidgeOptions } from "./linear-regression";
export { LogisticRegression } from "./logistic-regression";
export type { LogisticRegressionOptions } from "./logistic-regression";
export { lbfgs } from "./lbfgs";
export type { LbfgsOptions, LbfgsResult, ObjectiveWithGradient } from "./lbfgs";
export { solveLogistic } from "./logistic-solver";
export type { LogisticProblem, LogisticSolution } from "./logistic-solver";
export { solveLinearRegression, solveRidge } from "./least-squares";
export type { LinearSolution } from "./least-squares";
export type { Design, DenseDesign, SparseDesign } from "./design";
