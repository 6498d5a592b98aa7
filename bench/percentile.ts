/** The `p` quantile (0–1) of latencies in µs sorted ascending, in ms; 0 when there are none. */
export function percentileMs(sortedUs: readonly number[], p: number): number {
  return sortedUs.length ? sortedUs[Math.min(sortedUs.length - 1, Math.floor(p * sortedUs.length))]! / 1000 : 0;
}
