/** Estimated persons of stored sketches (count/hll.ts): a counter's beside its exact set, or a union's. */
import { estimate, mergeRegisters, emptyRegisters } from './hll.js';
import type { CounterStore } from './store/types.js';

/** Estimates of the named sketches that exist; absent names have had nobody added this year. */
export async function estimates(store: CounterStore, year: number, names: readonly string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const name of names) {
    const registers = await store.sketch(year, name);
    if (registers) out.set(name, Math.round(estimate(registers)));
  }
  return out;
}

/** The estimated persons of the union of several sketches (a route over a quarter, every recipient of a month). */
export async function unionEstimate(store: CounterStore, year: number, names: readonly string[]): Promise<number> {
  const union = emptyRegisters();
  for (const name of names) {
    const registers = await store.sketch(year, name);
    if (registers) mergeRegisters(union, registers);
  }
  return Math.round(estimate(union));
}
