/** Every study check, in the order of reverse reasoning. Adding one is its file and one entry here. */
import type { AnyStudyCheck } from './check.js';
import { ablation } from './checks/ablation.js';
import { capacity } from './checks/capacity.js';
import { sweepImportance } from './checks/sweep-importance.js';
import { conceptProbe } from './checks/concept-probe.js';
import { familyFloor } from './checks/family-floor.js';
import { seedNoise } from './checks/seed-noise.js';
import { sweepEdge } from './checks/sweep-edge.js';
import { tunedComparison } from './checks/tuned-comparison.js';
import { untunedComparison } from './checks/untuned-comparison.js';

export const STUDY_CHECKS = [seedNoise, untunedComparison, sweepEdge, sweepImportance, tunedComparison, ablation, capacity, conceptProbe, familyFloor] as const satisfies readonly AnyStudyCheck[];
