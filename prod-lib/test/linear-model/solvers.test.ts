import { describe, expect, it } from "vitest";
import { lbfgs } from "../../src/linear-model/lbfgs";
import { autoSolver, solveLogistic } from "../../src/linear-model/logistic-solver";
import { lstsqColumnMajor, solveLinearRegression, solveRidge } from "../../src/linear-model/least-squares";
import { goldenCases, readCsv, standardize, toCsr } from "./fixtures";

const g = goldenCases();
/** Fixture README tolerance for linear models: 1e-4 relative or 1e-5 absolute. */
function expectCoefs(actual: ArrayLike<number>, expected: number[]): void {
  expect(actual.length).toBe(expected.length);
  expected.forEach((e, j) => expect(Math.abs(actual[j] - e)).toBeLessThanOrEqual(Math.max(1e-4 * Math.abs(e), 1e-5)));
}
function dense(rows: number[][]) {
  return { data: Float64Array.from(rows.flat()), rows: rows.length, cols: rows[0].length };
}

describe("lbfgs", () => {
  it("minimises the Rosenbrock function", () => {
    const r = lbfgs(
      (x, grad) => {
        const [a, b] = [x[0], x[1]];
        grad[0] = -2 * (1 - a) - 400 * a * (b - a * a);
        grad[1] = 200 * (b - a * a);
        return (1 - a) ** 2 + 100 * (b - a * a) ** 2;
      },
      Float64Array.of(-1.2, 1),
      { maxIter: 500, gtol: 1e-9 },
    );
    expect(r.status).toBe("converged");
    expect(r.x[0]).toBeCloseTo(1, 7);
    expect(r.x[1]).toBeCloseTo(1, 7);
  });
  it("reports max_iter when the budget is too small", () => {
    const r = lbfgs((x, grad) => {
      grad[0] = 4 * x[0] ** 3;
      return x[0] ** 4;
    }, Float64Array.of(3), { maxIter: 2, gtol: 1e-12 });
    expect(r.status).toBe("max_iter");
    expect(r.nIter).toBe(2);
  });
});

describe("solveLogistic against scikit-learn (1e-4 relative / 1e-5 absolute)", () => {
  it("matches logreg_binary_C1.0 on dense and CSR designs", () => {
    const d = readCsv("breast_cancer.csv", "target");
    const Xs = standardize(d.rows);
    const y = Int32Array.from(d.y as number[]);
    const c = g["logreg_binary_C1.0"];
    for (const [X, solver] of [[dense(Xs), "newton-cg"], [toCsr(Xs), "newton-cg"], [dense(Xs), "newton-cholesky"], [toCsr(Xs), "newton-cholesky"], [dense(Xs), "lbfgs"], [toCsr(Xs), "lbfgs"]] as const) {
      const sol = solveLogistic({ X, y, nClasses: 2, C: 1, fitIntercept: true, sampleWeight: null, maxIter: 1000, tol: 1e-8, solver });
      expect(sol.status).toBe("converged");
      expectCoefs(sol.coef, (c.coef_ as number[][])[0]);
      expectCoefs(sol.intercept, c.intercept_ as number[]);
    }
  });
  it("matches logreg_multinomial (K coefficient rows, softmax)", () => {
    const d = readCsv("iris.csv", "species");
    const classes = ["setosa", "versicolor", "virginica"];
    const y = Int32Array.from(d.y.map((v) => classes.indexOf(v as string)));
    const c = g.logreg_multinomial;
    for (const solver of ["newton-cg", "lbfgs"] as const) {
      const sol = solveLogistic({ X: dense(standardize(d.rows)), y, nClasses: 3, C: 1, fitIntercept: true, sampleWeight: null, maxIter: 1000, tol: 1e-8, solver });
      expect(sol.status).toBe("converged");
      expect(sol.K).toBe(3);
      expectCoefs(sol.coef, (c.coef_ as number[][]).flat());
      expectCoefs(sol.intercept, c.intercept_ as number[]);
    }
  });
  // newton-cg forms a new Newton step every iteration (quadratic convergence); newton-cholesky
  // reuses its factorised Hessian while that shrinks the gradient at least tenfold per step.
  it.each([
    ["newton-cg", 4],
    ["newton-cholesky", 6],
  ] as const)("converges fast with %s: at most %i more steps from 1e-4 to 1e-10", (solver, extra) => {
    const d = readCsv("breast_cancer.csv", "target");
    const X = dense(standardize(d.rows));
    const y = Int32Array.from(d.y as number[]);
    const base = { X, y, nClasses: 2, C: 1, fitIntercept: true, sampleWeight: null, maxIter: 100, solver };
    const loose = solveLogistic({ ...base, tol: 1e-4 });
    const tight = solveLogistic({ ...base, tol: 1e-10 });
    expect(tight.gradMax).toBeLessThanOrEqual(1e-10);
    expect(tight.nIter - loose.nIter).toBeLessThanOrEqual(extra);
    expect(tight.objective).toBeLessThanOrEqual(loose.objective);
  });

  it("newton-cholesky falls back to conjugate-gradient steps when the Hessian is singular", () => {
    // No penalty and a duplicated column: X'DX is singular, the optimum is still unique in the predictions.
    const d = readCsv("breast_cancer.csv", "target");
    const rows = standardize(d.rows).map((r) => [r[0], r[0], r[1]]);
    const y = Int32Array.from(d.y as number[]);
    const base = { y, nClasses: 2, C: Infinity, fitIntercept: true, sampleWeight: null, maxIter: 200, tol: 1e-8 };
    const chol = solveLogistic({ ...base, X: dense(rows), solver: "newton-cholesky" });
    const reduced = solveLogistic({ ...base, X: dense(rows.map((r) => [r[0], r[2]])), solver: "newton-cg" });
    expect(chol.status).toBe("converged");
    // The duplicated columns share the reduced problem's coefficient.
    expect(chol.coef[0] + chol.coef[1]).toBeCloseTo(reduced.coef[0], 5);
    expect(chol.coef[2]).toBeCloseTo(reduced.coef[1], 5);
  });

  it("auto forms the Hessian only where that is cheap", () => {
    // The shape alone decides for dense designs, so the data arrays can stay empty here.
    const denseShape = (rows: number, cols: number) => ({ data: new Float64Array(0), rows, cols });
    expect(autoSolver(denseShape(569, 30), 2, true)).toBe("newton-cholesky"); // small outright
    expect(autoSolver(denseShape(200_000, 1000), 2, true)).toBe("newton-cg"); // n·d²/2 ≫ CG passes
    expect(autoSolver(denseShape(200_000, 100), 2, true)).toBe("newton-cg");
    expect(autoSolver(denseShape(200_000, 20), 2, true)).toBe("newton-cholesky");
    expect(autoSolver(denseShape(50, 2000), 2, true)).toBe("newton-cg"); // over 1024 parameters
    expect(autoSolver(denseShape(1000, 5), 3, true)).toBe("newton-cg"); // multinomial
    // The benchmark's shape: 16 dense columns and three one-hot blocks (19 nonzeros per row, 241 columns).
    const n = 20_000;
    const indptr = Int32Array.from({ length: n + 1 }, (_, i) => i * 19);
    const indices = new Int32Array(n * 19);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < 16; j++) indices[i * 19 + j] = j;
      indices[i * 19 + 16] = 16 + (i % 5);
      indices[i * 19 + 17] = 21 + (i % 20);
      indices[i * 19 + 18] = 41 + (i % 200);
    }
    const csr = { indptr, indices, values: new Float64Array(n * 19).fill(1), rows: n, cols: 241 };
    expect(autoSolver(csr, 2, true)).toBe("newton-cholesky");
  });

  it("refuses newton-cholesky for more than two classes", () => {
    const X = dense([[0], [1], [2]]);
    expect(() => solveLogistic({ X, y: Int32Array.of(0, 1, 2), nClasses: 3, C: 1, fitIntercept: true, sampleWeight: null, maxIter: 10, tol: 1e-6, solver: "newton-cholesky" })).toThrow(
      /"newton-cholesky" solves binary problems; this one has 3 classes/,
    );
  });

  it("reaches the same optimum on a big problem, where newton-cg starts from a subsample's solution", () => {
    // 100k rows (the warm-start threshold), 4 features, a seeded logistic label.
    let a = 12345;
    const rand = () => {
      a = (Math.imul(a, 1103515245) + 12345) >>> 0;
      return a / 4294967296;
    };
    const n = 100_000;
    const data = new Float64Array(n * 4);
    const y = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      let z = 0.3;
      for (let j = 0; j < 4; j++) {
        const v = rand() * 4 - 2;
        data[i * 4 + j] = v;
        z += v * [1.5, -0.7, 0.2, 0][j];
      }
      y[i] = rand() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
    }
    const X = { data, rows: n, cols: 4 };
    const base = { X, y, nClasses: 2, C: 0.01, fitIntercept: true, sampleWeight: null, maxIter: 500, tol: 1e-10 };
    const lbfgsSol = solveLogistic({ ...base, solver: "lbfgs", tol: 1e-9 });
    for (const solver of ["newton-cg", "newton-cholesky"] as const) {
      const newton = solveLogistic({ ...base, solver });
      expect(newton.status).toBe("converged");
      expectCoefs(newton.coef, Array.from(lbfgsSol.coef));
      expectCoefs(newton.intercept, Array.from(lbfgsSol.intercept));
      expect(Math.abs(newton.coef[0] - 1.5)).toBeLessThan(0.05);
    }
  });

  it("equals duplicated rows when a row has weight 2", () => {
    const rows = [[0.5], [1.5], [-1], [2], [-0.3]];
    const y = Int32Array.of(0, 1, 0, 1, 1);
    const weighted = solveLogistic({ X: dense(rows), y, nClasses: 2, C: 2, fitIntercept: true, sampleWeight: Float64Array.of(2, 1, 1, 1, 1), maxIter: 200, tol: 1e-10 });
    const dup = solveLogistic({ X: dense([...rows, [0.5]]), y: Int32Array.of(0, 1, 0, 1, 1, 0), nClasses: 2, C: 2, fitIntercept: true, sampleWeight: null, maxIter: 200, tol: 1e-10 });
    expect(weighted.coef[0]).toBeCloseTo(dup.coef[0], 7);
    expect(weighted.intercept[0]).toBeCloseTo(dup.intercept[0], 7);
  });
});

describe("least squares against scikit-learn", () => {
  const d = readCsv("diabetes.csv", "target");
  const y = Float64Array.from(d.y as number[]);
  it("matches linear_regression on dense and CSR designs", () => {
    for (const X of [dense(d.rows), toCsr(d.rows)]) {
      const sol = solveLinearRegression(X, y, true);
      expectCoefs(sol.coef, g.linear_regression.coef_ as number[]);
      expectCoefs([sol.intercept], [g.linear_regression.intercept_ as number]);
    }
  });
  it("matches ridge with an unpenalised intercept", () => {
    for (const X of [dense(d.rows), toCsr(d.rows)]) {
      const sol = solveRidge(X, y, g.ridge.alpha as number, true);
      expectCoefs(sol.coef, g.ridge.coef_ as number[]);
      expectCoefs([sol.intercept], [g.ridge.intercept_ as number]);
    }
  });
  it("returns the minimum-norm solution for collinear columns, as lstsq", () => {
    const sol = solveLinearRegression(dense([[1, 1], [2, 2], [3, 3], [4, 4]]), Float64Array.of(2, 4, 6, 8), true);
    expect(sol.rank).toBe(1);
    expect(sol.coef[0]).toBeCloseTo(1, 12);
    expect(sol.coef[1]).toBeCloseTo(1, 12);
    expect(sol.intercept).toBeCloseTo(0, 12);
  });
  it("solves an overdetermined full-rank system exactly when consistent", () => {
    // Column-major 3 × 2: columns [1, 1, 1] and [0, 1, 2]; b = 1 + 2t.
    const { x, rank } = lstsqColumnMajor(Float64Array.of(1, 1, 1, 0, 1, 2), 3, 2, Float64Array.of(1, 3, 5));
    expect(rank).toBe(2);
    expect(x[0]).toBeCloseTo(1, 12);
    expect(x[1]).toBeCloseTo(2, 12);
  });
});
