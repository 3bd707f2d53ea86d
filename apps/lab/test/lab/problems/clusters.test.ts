import { rng } from "momenta-optim";
import { describe, expect, it } from "vitest";
import { clusterEnergy, lennardJones, morse, pairDistances } from "../../../src/lab/problems/clusters.ts";

const lj = lennardJones();
const mo = morse({ depth: 2, width: 3, re: 1.2 });

/** A random cluster whose atoms are no closer than 0.8 (so both potentials stay moderate). */
function randomCluster(n: number, seed: number): Float64Array {
  const next = rng(seed);
  const x = new Float64Array(3 * n);
  for (let i = 0; i < n; i++) {
    for (;;) {
      for (let c = 0; c < 3; c++) x[3 * i + c] = 2.5 * next();
      if (pairDistances(x.subarray(0, 3 * (i + 1))).every((r) => r > 0.8)) break;
    }
  }
  return x;
}

describe.each([lj, mo])("$name", (pair) => {
  it("forces are −∇E (central finite differences)", () => {
    const h = 1e-6;
    for (const n of [2, 3, 5]) {
      const x = randomCluster(n, 11 + n);
      const f = new Float64Array(3 * n);
      clusterEnergy(pair, x, f);
      for (let k = 0; k < 3 * n; k++) {
        const xp = Float64Array.from(x);
        const xm = Float64Array.from(x);
        xp[k]! += h;
        xm[k]! -= h;
        const fd = -(clusterEnergy(pair, xp) - clusterEnergy(pair, xm)) / (2 * h);
        expect(Math.abs(fd - f[k]!)).toBeLessThan(1e-6 * Math.max(1, Math.abs(f[k]!)));
      }
    }
  });

  it("the dimer's minimum sits at rMin with energy eMin, and forces vanish there", () => {
    const f = new Float64Array(6);
    expect(clusterEnergy(pair, [0, 0, 0, pair.rMin, 0, 0], f)).toBeCloseTo(pair.eMin, 12);
    for (const v of f) expect(Math.abs(v)).toBeLessThan(1e-12);
    expect(pair.energy(pair.rMin * 1.01)).toBeGreaterThan(pair.eMin);
    expect(pair.energy(pair.rMin * 0.99)).toBeGreaterThan(pair.eMin);
    // Total force is zero (Newton's third law) for any cluster.
    const g = new Float64Array(9);
    clusterEnergy(pair, randomCluster(3, 5), g);
    for (let c = 0; c < 3; c++) expect(Math.abs(g[c]! + g[3 + c]! + g[6 + c]!)).toBeLessThan(1e-9);
  });
});

describe("known minima", () => {
  it("LJ dimer at 2^{1/6}σ with energy −ε", () => {
    const p = lennardJones({ epsilon: 1.5, sigma: 0.9 });
    expect(p.rMin).toBeCloseTo(2 ** (1 / 6) * 0.9, 14);
    expect(p.derivative(p.rMin)).toBeCloseTo(0, 12);
    expect(p.energy(p.rMin)).toBeCloseTo(-1.5, 12);
    expect(p.energy(0.9)).toBeCloseTo(0, 12); // φ(σ) = 0
  });

  it("LJ trimer: equilateral triangle of side 2^{1/6}σ has energy −3ε and no forces", () => {
    const r = lj.rMin;
    const x = [0, 0, 0, r, 0, 0, r / 2, (r * Math.sqrt(3)) / 2, 0];
    const f = new Float64Array(9);
    expect(clusterEnergy(lj, x, f)).toBeCloseTo(-3, 12);
    for (const v of f) expect(Math.abs(v)).toBeLessThan(1e-12);
  });

  it("Morse dimer at r_e has energy −D", () => {
    expect(mo.derivative(1.2)).toBe(0);
    expect(clusterEnergy(mo, [0, 0, 0, 0, 1.2, 0])).toBeCloseTo(-2, 14);
  });

  it("pair distances come in (0,1), (0,2), (1,2) order", () => {
    expect(Array.from(pairDistances([0, 0, 0, 1, 0, 0, 0, 2, 0]))).toEqual([1, 2, Math.sqrt(5)]);
  });
});
