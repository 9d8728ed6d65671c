// Types of fuzz-inputs.mjs for the TypeScript tests that import it.
export interface FuzzInput {
  readonly route: string;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
  /** Seed and mutations, for reports. */
  readonly kind: string;
}
export declare const FUZZ_ROUTES: readonly { readonly id: string; readonly recordRoot: string; readonly failMode: 'open' | 'closed' }[];
export declare function prng(seed: number): () => number;
export declare function fuzzInputs(options: { seed?: number; corpusDir: string }): { next(): FuzzInput };
