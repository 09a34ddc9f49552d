/**
 * The four layers ladder judges, in the order of reverse reasoning (DESIGN section 2):
 * first doubt the observation, then reachability, and only then the instantiation and the
 * perception. The thing-in-itself (M_D) is never judged: it is what the others approximate.
 */
export const LAYERS = ['observation', 'reachability', 'instantiation', 'perception'] as const;
export type Layer = (typeof LAYERS)[number];
export type LayerStatus = 'pass' | 'fail' | 'inconclusive' | 'gated';
export type Verdict = Layer | 'none';
