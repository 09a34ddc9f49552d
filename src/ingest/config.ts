/**
 * `ladder.yaml` next to runs (or in any folder above them, up to the ingest root) overrides
 * conventions. For ingest: metric roles. Keys other sections of ladder read (nuisance and
 * scientific hyperparameters, the objective) are accepted and passed through.
 */
import { z } from 'zod';
import type { Roles } from '../model/run.js';

export const CONFIG_FILE = 'ladder.yaml';

const RolesSchema = z
  .object({
    trainLoss: z.string().min(1),
    valLoss: z.string().min(1),
    lr: z.string().min(1),
    gradNorm: z.string().min(1),
    epoch: z.string().min(1),
    valMetrics: z.array(z.string().min(1)),
  })
  .partial()
  .strict();

export const ConfigSchema = z.looseObject({
  roles: RolesSchema.optional(),
  /** Check thresholds: `{ "reachability.stall": { minRelativeDrop: 0.1 } }`. */
  thresholds: z.record(z.string(), z.record(z.string(), z.number())).optional(),
  /** A score the run is compared with on its headline per-example metric (a published result, a target). */
  baseline: z.number().refine(Number.isFinite, 'must be a finite number').optional(),
  /** The per-example metric the run is judged on (default: correctness, or the one metric every set has). */
  metric: z.string().min(1).optional(),
  /** Studies (src/studies/study.ts): force or forbid reading the runs as one study. */
  study: z.boolean().optional(),
  /** Hyperparameter keys to treat as nuisance / scientific whatever their names say. */
  nuisance: z.array(z.string().min(1)).optional(),
  scientific: z.array(z.string().min(1)).optional(),
  /** The series a study's runs are judged on, and its direction. */
  objective: z.object({ metric: z.string().min(1), direction: z.enum(['higher', 'lower']).optional() }).strict().optional(),
  /** The scientific key whose values are concept families, and the probe series that discriminate them. */
  concept: z.string().min(1).optional(),
  probes: z.array(z.string().min(1)).optional(),
});

export type LadderConfig = z.infer<typeof ConfigSchema>;

export interface ConfigParse {
  config?: LadderConfig;
  error?: string;
}

export function parseConfig(value: unknown): ConfigParse {
  const parsed = ConfigSchema.safeParse(value ?? {});
  if (parsed.success) return { config: parsed.data };
  const first = parsed.error.issues[0]!;
  const where = first.path.length > 0 ? `${first.path.join('.')}: ` : '';
  return { error: `${where}${first.message}` };
}

export function configuredRoles(config: LadderConfig | undefined): Partial<Roles> {
  return (config?.roles ?? {}) as Partial<Roles>;
}
