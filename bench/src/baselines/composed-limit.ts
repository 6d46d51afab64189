import { round } from '../stats.js';

/**
 * What a chain of stages carries when they share the machine: each message pays every stage's
 * time per message in turn, so the times add up (1 / Σ 1/rate). A pipeline can overlap stages
 * across cores, but on two shared cores the stages compete for the same CPU, so this is the
 * honest ceiling to compare against.
 */
export function composedLimit(rates: readonly number[]): number {
  if (rates.length === 0 || rates.some((rate) => !(rate > 0))) return 0;
  return round(1 / rates.reduce((total, rate) => total + 1 / rate, 0), 0);
}
