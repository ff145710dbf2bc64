// CPU-bound work for examples/executor-ticker.ts, run in a worker thread. A plain ES
// module: worker threads load JavaScript (see the README, "Executors", for TypeScript).

/** Counts the primes below `limit` by trial division: deliberately slow. */
export function countPrimes(limit) {
  let count = 0;
  for (let n = 2; n < limit; n++) {
    let prime = true;
    for (let d = 2; d * d <= n; d++) {
      if (n % d === 0) {
        prime = false;
        break;
      }
    }
    if (prime) count++;
  }
  return count;
}
