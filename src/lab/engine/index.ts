/**
 * The registry of training engines. The lab asks for one by name; adding a backend is one
 * file implementing `Engine` and one entry here.
 */
import type { Engine } from './engine.js';
import { JaxEngine } from './jax.js';

export const ENGINES = {
  /** @jax-js/jax 0.1.25 on its wasm backend (DESIGN §9). */
  jax: () => new JaxEngine(),
} satisfies Record<string, () => Engine>;

export type EngineName = keyof typeof ENGINES;

export const DEFAULT_ENGINE: EngineName = 'jax';

/** A started engine; an unknown name fails with the list of known ones. */
export async function startEngine(name: string = DEFAULT_ENGINE): Promise<Engine> {
  const make = (ENGINES as Record<string, (() => Engine) | undefined>)[name];
  if (!make) throw new RangeError(`unknown engine: ${name} (known: ${Object.keys(ENGINES).join(', ')})`);
  const engine = make();
  await engine.init();
  return engine;
}

export * from './engine.js';
