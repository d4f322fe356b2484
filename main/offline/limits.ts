// Defaults and accepted ranges of the reference's cache settings (openbastion.conf(5)).
// A module of its own, free of crypto imports, so the greeter's auth code can bound what it
// mirrors (e.g. a lockout) without loading the engine.

export const LIMITS = {
  maxFailedAttempts: { default: 5, min: 1, max: 20 },
  lockoutSeconds: { default: 300, min: 60, max: 86_400 },
  ttlSeconds: { default: 604_800, min: 3600, max: 2_592_000 },
  maxEntries: { default: 1000, min: 1, max: 1000 },
} as const;
