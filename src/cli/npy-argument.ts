/** Reading a `.npy` file named on the command line, with one-line errors that name the flag and the fix. */
import { readFile } from 'node:fs/promises';
import { parseNpy, type NpyArray } from '../ingest/formats/npy.js';
import { UsageError } from './errors.js';

export async function readArgumentBytes(flag: string, file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new UsageError(`${flag} ${file}: cannot read the file (${code}); check the path`);
  }
}

/** The array in `file`; `what` completes the hint "save … with numpy.save". */
export async function readNpyArgument(flag: string, file: string, what = 'it'): Promise<NpyArray> {
  const parsed = parseNpy(await readArgumentBytes(flag, file));
  if (!parsed.array) throw new UsageError(`${flag} ${file}: not a readable .npy file (${parsed.error.reason}); save ${what} with numpy.save`);
  return parsed.array;
}

/** A shape as NumPy prints it: `(3,)`, `(10, 4)`. */
export function describeShape(array: NpyArray): string {
  return `(${array.shape.join(', ')}${array.shape.length === 1 ? ',' : ''})`;
}
