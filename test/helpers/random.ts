/**
 * A small deterministic generator (xorshift32) for property tests: the same seed gives the same cases, so a failure
 * can be replayed. Returns numbers in [0, 1), like Math.random.
 */
export function seededRandom(seed: number): () => number {
  let s = seed | 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}
