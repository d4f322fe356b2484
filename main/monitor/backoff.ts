// Retry delays while the portal is not answering: exponential, capped, jittered. The jitter
// ("equal jitter": half fixed, half random) keeps a fleet of workstations that lost the portal
// together from coming back to it in lock step, while never retrying sooner than half the delay.

export interface BackoffOptions {
  /** First delay, ms (default 5 000). */
  baseMs?: number;
  /** Largest delay, ms (default 300 000). */
  maxMs?: number;
  /** Growth per failure (default 2). */
  factor?: number;
  /** [0, 1) uniform; injectable for tests. */
  random?: () => number;
}

export class Backoff {
  private readonly baseMs: number;
  private readonly maxMs: number;
  private readonly factor: number;
  private readonly random: () => number;
  private attempt = 0;

  constructor(options: BackoffOptions = {}) {
    this.baseMs = options.baseMs ?? 5_000;
    this.maxMs = options.maxMs ?? 300_000;
    this.factor = options.factor ?? 2;
    this.random = options.random ?? Math.random;
    if (!(this.baseMs > 0 && this.maxMs >= this.baseMs && this.factor >= 1)) {
      throw new RangeError('backoff: need 0 < baseMs <= maxMs and factor >= 1');
    }
  }

  /** The delay before the next retry; each call counts one more failure. */
  next(): number {
    const ceiling = Math.min(this.maxMs, this.baseMs * this.factor ** this.attempt);
    if (ceiling < this.maxMs) this.attempt++;
    const half = ceiling / 2;
    return Math.round(half + this.random() * half);
  }

  /** Back to the first delay (the portal answered). */
  reset(): void {
    this.attempt = 0;
  }

  get failures(): number {
    return this.attempt;
  }
}
