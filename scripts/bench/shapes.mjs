/**
 * Shapes the issue-12 bench scripts share (clone-census.mjs, clone-cpu.mjs, prop-cpu.mjs;
 * prop.ts spells the same one): the 64-endpoint machine of the clone target — two host bridges
 * of two root ports, one switch level of fan-out 16 — as `generateTopology()` options.
 */
export const EP64_SHAPE = Object.freeze({
  hostBridges: 2,
  rootPorts: 2,
  switchLevels: 1,
  fanout: 16,
  endpoints: 64,
});
