/**
 * Pure numerics for the checks (DESIGN section 8): arrays and seeds in, plain objects out;
 * no files, clocks or processes.
 */
export * from './rng.js';
export * from './robust.js';
export * from './distributions.js';
export * from './trend.js';
export * from './intervals.js';
export * from './curve-fit.js';
export * from './bootstrap.js';
export * from './paired.js';
export * from './seed-noise.js';
export * from './logistic.js';
