/**
 * How many cases a property test draws: `count`, or fewer when `PROPERTY_RUNS_CAP` is set.
 * Mutation testing (vitest.mutation.config.ts) sets a cap, since it reruns the tests for each mutant.
 */
export function propertyRuns(count: number): number {
  const cap = Number(process.env['PROPERTY_RUNS_CAP']);
  return Number.isSafeInteger(cap) && cap > 0 ? Math.min(count, cap) : count;
}
