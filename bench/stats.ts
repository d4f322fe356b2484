// Small statistics for the benchmarks: every bench reports medians of repeated runs.
import { performance } from 'node:perf_hooks';

export function median(samples: number[]): number {
  if (samples.length === 0) throw new Error('median of no samples');
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Runs `fn` `runs` times (after `warmup` untimed runs) and returns the wall times in ms. */
export async function timeRuns(
  fn: () => Promise<unknown> | unknown,
  runs: number,
  warmup = 2,
): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await fn();
    samples.push(performance.now() - start);
  }
  return samples;
}

export const round = (value: number, digits = 3): number => Number(value.toFixed(digits));
