/**
 * The measurements behind the lab's healthy recipes (ORDINARY_RECIPES in src/lab/lab.ts):
 * each ordinary world's healthy configuration trained at several step counts and learning
 * rates, printing one JSON line per trial with its held-out loss (and standard error), the
 * world's exact Bayes loss, and the data experiment's two numbers (the final model on its own
 * training sample and on held-out data).
 *
 * Run: `npm run build && node dist/scripts/lab-recipes.js [--worlds markov2,dyck] [--steps 200,400,800] [--lr 0.01,0.03] [--corruption 0.3] [--positional none] [--mixer mlp] [--width 32 --heads 4]`
 * (about 4 minutes for the defaults on 2 cores). Trials are seeded: the figures reproduce.
 */
import { parseArgs } from 'node:util';
import { healthyConfig } from '../src/lab/lab.js';
import { resolveSpec } from '../src/lab/models/spec.js';
import { startRunner } from '../src/lab/pool.js';
import { budgetLength } from '../src/lab/trial.js';
import { worldEntry } from '../src/lab/worlds/index.js';

/** Bad arguments: one line naming the fix, exit 2, no stack trace. */
function refuse(message: string): never {
  console.error(`lab-recipes: ${message}`);
  process.exit(2);
}

let parsed;
try {
  parsed = parseArgs({
  options: {
    worlds: { type: 'string', default: 'markov1,markov2,markov3,copy,copy-noisy,dyck' },
    steps: { type: 'string', default: '200,400,800' },
    lr: { type: 'string', default: '0.01,0.03' },
    corruption: { type: 'string', default: '0' },
    seed: { type: 'string', default: '0' },
    positional: { type: 'string' },
    mixer: { type: 'string' },
    width: { type: 'string' },
    heads: { type: 'string' },
  },
  });
} catch (error) {
  refuse(error instanceof Error ? error.message : String(error));
}
const { values } = parsed;
const list = (text: string) => text.split(',').map((x) => x.trim()).filter((x) => x.length > 0);
const numbers = (text: string, name: string) =>
  list(text).map((x) => {
    const value = Number(x);
    if (!Number.isFinite(value) || value < 0) refuse(`--${name}: ${x} is not a non-negative number (give a comma-separated list such as 200,400)`);
    return value;
  });
const seed = numbers(values.seed, 'seed')[0] ?? 0;
const worlds = list(values.worlds);
for (const world of worlds) {
  try {
    worldEntry(world);
  } catch (error) {
    refuse(`--worlds: ${error instanceof Error ? error.message : String(error)}`);
  }
}
const plan = { steps: numbers(values.steps, 'steps'), lr: numbers(values.lr, 'lr'), corruption: numbers(values.corruption, 'corruption') };
const positional = values.positional;
if (positional !== undefined && !['learned', 'sinusoidal', 'alibi', 'none'].includes(positional)) refuse(`--positional: ${positional} is not one of learned, sinusoidal, alibi, none`);
const mixer = values.mixer;
if (mixer !== undefined && !['attention', 'mlp'].includes(mixer)) refuse(`--mixer: ${mixer} is not one of attention, mlp`);
const size = (name: 'width' | 'heads') => {
  const text = values[name];
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) refuse(`--${name}: ${text} is not a positive integer`);
  return value;
};
const width = size('width');
const heads = size('heads');
/** The healthy spec with the options' changes; a spec the models refuse is refused here, before anything trains. */
const specOf = (healthy: ReturnType<typeof healthyConfig>) => {
  const spec = {
    ...healthy.spec,
    ...(positional === undefined ? {} : { positional: positional as typeof healthy.spec.positional }),
    ...(mixer === undefined ? {} : { mixer: mixer as typeof healthy.spec.mixer }),
    ...(width === undefined ? {} : { width }),
    ...(heads === undefined ? {} : { heads }),
  };
  try {
    resolveSpec(spec);
  } catch (error) {
    refuse(`--width/--heads: ${error instanceof Error ? error.message : String(error)}`);
  }
  return spec;
};
for (const world of worlds) specOf(healthyConfig(world, seed));
const runner = await startRunner();
const jobs: Promise<void>[] = [];
for (const world of worlds) {
  const entry = worldEntry(world);
  const bayes = entry.create(seed).bayesLoss(budgetLength(entry));
  for (const steps of plan.steps) {
    for (const lr of plan.lr) {
      for (const corruption of plan.corruption) {
        // The recipe's own warmup fraction at these steps (1/10 for ordinary worlds, 1/12 for the extrapolation variants).
        const healthy = healthyConfig(world, seed, { steps });
        const spec = specOf(healthy);
        const config = { ...healthy, spec, lr, corruption };
        jobs.push(
          runner.run(config).then((t) => {
            const round = (x: number) => Number(x.toFixed(4));
            console.log(
              JSON.stringify({
                world,
                positional: spec.positional,
                mixer: spec.mixer,
                width: spec.width,
                heads: spec.heads,
                steps,
                lr,
                corruption,
                heldout: round(t.heldoutLoss),
                heldoutError: round(t.heldoutError),
                bayes: round(bayes),
                trainingSample: round(t.trainingSample.loss),
                heldoutAtTrainLength: round(t.heldoutAtTrainLength.loss),
                evalAccuracy: round(t.evalAccuracy),
                tokensPerSecond: Math.round(t.tokensPerSecond),
              }),
            );
          }),
        );
      }
    }
  }
}
try {
  await Promise.all(jobs);
} finally {
  await runner.close();
}
