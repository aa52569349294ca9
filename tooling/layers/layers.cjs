// The layer map of the monorepo: one place that says which package sits on which layer.
// A package may import only packages on a strictly lower layer; siblings on one layer never
// import each other. Used by .dependency-cruiser.cjs and by the layer tests.
'use strict';

/** @type {ReadonlyArray<{ name: string, dir: string, layer: number }>} */
const PACKAGES = [
  { name: '@twamp/errors', dir: 'packages/errors', layer: 0 },
  { name: '@twamp/wire', dir: 'packages/wire', layer: 1 },
  { name: '@twamp/metrics', dir: 'packages/metrics', layer: 1 },
  { name: '@twamp/udp', dir: 'packages/udp', layer: 1 },
  { name: '@twamp/control', dir: 'packages/control', layer: 2 },
  { name: '@twamp/test-session', dir: 'packages/test-session', layer: 2 },
  { name: '@twamp/cli', dir: 'packages/cli', layer: 3 },
  { name: '@twamp/daemon', dir: 'packages/daemon', layer: 3 },
  { name: 'twamp', dir: 'apps/twamp', layer: 4 },
  { name: 'twampd', dir: 'apps/twampd', layer: 4 },
];

const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** dependency-cruiser rules that forbid each package from importing its own layer or above. */
function layerRules() {
  return PACKAGES.map((pkg) => {
    const forbidden = PACKAGES.filter((other) => other !== pkg && other.layer >= pkg.layer);
    return {
      name: `layer-${pkg.layer}:${pkg.name}`,
      comment: `${pkg.name} (layer ${pkg.layer}) may import only packages on lower layers`,
      severity: 'error',
      from: { path: `^${escape(pkg.dir)}/` },
      to: { path: `^(${forbidden.map((other) => escape(other.dir)).join('|')})/` },
    };
  });
}

/** Names of the packages a package may depend on. */
function allowedDependencies(name) {
  const pkg = PACKAGES.find((candidate) => candidate.name === name);
  if (pkg === undefined) return [];
  return PACKAGES.filter((other) => other.layer < pkg.layer).map((other) => other.name);
}

module.exports = { PACKAGES, layerRules, allowedDependencies };
