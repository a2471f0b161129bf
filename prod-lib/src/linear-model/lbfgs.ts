/**
 * Limited-memory BFGS with a strong-Wolfe line search (Nocedal & Wright, algorithms 7.4, 3.5, 3.6),
 * for smooth unconstrained minimisation. Pure: works on Float64Arrays, allocates once per call.
 */

/** Computes f(x) and writes ∇f(x) into `grad`. */
export type ObjectiveWithGradient = (x: Float64Array, grad: Float64Array) => number;

/** Options of {@link lbfgs}. */
export interface LbfgsOptions {
  /** Maximum number of iterations (each one accepts a step). */
  maxIter: number;
  /** Converged when the largest absolute gradient entry is at most this. */
  gtol: number;
  /** Number of correction pairs kept (default 10, as scipy). */
  memory?: number;
}

/** Outcome of {@link lbfgs}. */
export interface LbfgsResult {
  x: Float64Array;
  f: number;
  /** Iterations performed. */
  nIter: number;
  /** Objective evaluations performed. */
  nEval: number;
  /** Largest absolute gradient entry at `x`. */
  gradMax: number;
  /** Why the solver stopped. */
  status: "converged" | "max_iter" | "no_progress";
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function maxAbs(a: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const v = Math.abs(a[i]);
    if (v > m || Number.isNaN(v)) m = v;
  }
  return m;
}

/** Minimiser of the cubic interpolating (a, fa, da) and (b, fb, db), or NaN. */
function cubicMin(a: number, fa: number, da: number, b: number, fb: number, db: number): number {
  const d1 = da + db - (3 * (fa - fb)) / (a - b);
  const disc = d1 * d1 - da * db;
  if (!(disc >= 0)) return NaN;
  const d2 = Math.sign(b - a) * Math.sqrt(disc);
  const t = b - (b - a) * ((db + d2 - d1) / (db - da + 2 * d2));
  return t;
}

/**
 * Minimises `fg` from `x0` (not modified).
 * @example
 * const r = lbfgs((x, g) => { g[0] = 2 * (x[0] - 3); return (x[0] - 3) ** 2; }, Float64Array.of(0), { maxIter: 50, gtol: 1e-10 });
 * r.x[0]; // 3
 */
export function lbfgs(fg: ObjectiveWithGradient, x0: Float64Array, options: LbfgsOptions): LbfgsResult {
  const n = x0.length;
  const m = options.memory ?? 10;
  const c1 = 1e-4;
  const c2 = 0.9;
  const x = Float64Array.from(x0);
  const g = new Float64Array(n);
  const d = new Float64Array(n);
  const xt = new Float64Array(n);
  const gt = new Float64Array(n);
  const S = Array.from({ length: m }, () => new Float64Array(n));
  const Y = Array.from({ length: m }, () => new Float64Array(n));
  const rho = new Float64Array(m);
  const alphaBuf = new Float64Array(m);
  let stored = 0;
  let head = 0;
  let nEval = 1;
  let f = fg(x, g);
  let gmax = maxAbs(g);
  let iter = 0;

  // Evaluates at x + alpha d into (xt, gt); returns f and the directional derivative.
  let lastAlpha = NaN;
  let lastF = NaN;
  let lastD = NaN;
  const phi = (alpha: number): void => {
    for (let i = 0; i < n; i++) xt[i] = x[i] + alpha * d[i];
    lastF = fg(xt, gt);
    lastD = dot(gt, d);
    lastAlpha = alpha;
    nEval++;
  };

  while (gmax > options.gtol) {
    if (iter >= options.maxIter) return { x, f, nIter: iter, nEval, gradMax: gmax, status: "max_iter" };
    // Two-loop recursion: d = -H g.
    for (let i = 0; i < n; i++) d[i] = -g[i];
    for (let k = 0; k < stored; k++) {
      const idx = (head - 1 - k + m) % m;
      const a = rho[idx] * dot(S[idx], d);
      alphaBuf[idx] = a;
      const y = Y[idx];
      for (let i = 0; i < n; i++) d[i] -= a * y[i];
    }
    if (stored > 0) {
      const idx = (head - 1 + m) % m;
      const gamma = dot(S[idx], Y[idx]) / dot(Y[idx], Y[idx]);
      for (let i = 0; i < n; i++) d[i] *= gamma;
    }
    for (let k = stored - 1; k >= 0; k--) {
      const idx = (head - 1 - k + m) % m;
      const beta = rho[idx] * dot(Y[idx], d);
      const s = S[idx];
      const a = alphaBuf[idx];
      for (let i = 0; i < n; i++) d[i] += (a - beta) * s[i];
    }
    let d0 = dot(g, d);
    if (!(d0 < 0)) {
      // Not a descent direction (numerical trouble): restart from steepest descent.
      stored = 0;
      for (let i = 0; i < n; i++) d[i] = -g[i];
      d0 = dot(g, d);
    }
    const f0 = f;
    // Round-off allowance: near the optimum f changes by less than its last bits.
    const fSlack = 4 * Number.EPSILON * Math.abs(f0);
    const armijo = (alpha: number, fa: number) => fa <= f0 + c1 * alpha * d0 + fSlack;
    const curvature = (da: number) => Math.abs(da) <= -c2 * d0;

    let accepted = NaN;
    let alpha = stored === 0 ? Math.min(1, 1 / Math.max(Math.sqrt(-d0), 1e-300)) : 1;
    let aPrev = 0;
    let fPrev = f0;
    let dPrev = d0;
    let lo = NaN;
    let flo = NaN;
    let dlo = NaN;
    let hi = NaN;
    let fhi = NaN;
    let dhi = NaN;
    let bracketed = false;
    for (let ls = 0; ls < 30; ls++) {
      phi(alpha);
      if (!Number.isFinite(lastF) || !armijo(alpha, lastF) || (ls > 0 && lastF >= fPrev)) {
        lo = aPrev;
        flo = fPrev;
        dlo = dPrev;
        hi = alpha;
        fhi = Number.isFinite(lastF) ? lastF : Infinity;
        dhi = Number.isFinite(lastD) ? lastD : NaN;
        bracketed = true;
        break;
      }
      if (curvature(lastD)) {
        accepted = alpha;
        break;
      }
      if (lastD >= 0) {
        lo = alpha;
        flo = lastF;
        dlo = lastD;
        hi = aPrev;
        fhi = fPrev;
        dhi = dPrev;
        bracketed = true;
        break;
      }
      aPrev = alpha;
      fPrev = lastF;
      dPrev = lastD;
      alpha *= 2;
    }
    if (Number.isNaN(accepted) && bracketed) {
      for (let z = 0; z < 40; z++) {
        const width = Math.abs(hi - lo);
        let a = Number.isFinite(fhi) && Number.isFinite(dhi) ? cubicMin(lo, flo, dlo, hi, fhi, dhi) : NaN;
        const left = Math.min(lo, hi);
        const right = Math.max(lo, hi);
        if (!(a > left + 0.1 * width && a < right - 0.1 * width)) a = (lo + hi) / 2;
        phi(a);
        if (!Number.isFinite(lastF) || !armijo(a, lastF) || lastF >= flo) {
          hi = a;
          fhi = Number.isFinite(lastF) ? lastF : Infinity;
          dhi = Number.isFinite(lastD) ? lastD : NaN;
        } else {
          if (curvature(lastD)) {
            accepted = a;
            break;
          }
          if (lastD * (hi - lo) >= 0) {
            hi = lo;
            fhi = flo;
            dhi = dlo;
          }
          lo = a;
          flo = lastF;
          dlo = lastD;
        }
        if (width < 1e-16 * Math.max(1, Math.abs(lo))) break;
      }
      // Accept the best sufficient-decrease point even if the curvature test never passed.
      if (Number.isNaN(accepted) && lo > 0 && flo < f0) {
        accepted = lo;
        if (lastAlpha !== lo) phi(lo);
      }
    }
    if (Number.isNaN(accepted)) {
      return { x, f, nIter: iter, nEval, gradMax: gmax, status: "no_progress" };
    }
    if (lastAlpha !== accepted) phi(accepted);
    // Store the correction pair (skipped when the curvature is not positive).
    const s = S[head];
    const y = Y[head];
    for (let i = 0; i < n; i++) {
      s[i] = xt[i] - x[i];
      y[i] = gt[i] - g[i];
    }
    const sy = dot(s, y);
    x.set(xt);
    g.set(gt);
    const fOld = f;
    f = lastF;
    gmax = maxAbs(g);
    iter++;
    if (sy > 1e-300) {
      rho[head] = 1 / sy;
      head = (head + 1) % m;
      if (stored < m) stored++;
    }
    if (fOld - f <= 0 && gmax > options.gtol) {
      // The objective no longer decreases in floating point: we are at the attainable optimum.
      return { x, f, nIter: iter, nEval, gradMax: gmax, status: "no_progress" };
    }
  }
  return { x, f, nIter: iter, nEval, gradMax: gmax, status: "converged" };
}
