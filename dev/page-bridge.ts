// The pieces every page of the Chromium fallback's loopback bridge shares (development only;
// never packaged): the token taken from the URL fragment, `POST /api/<call>` with the token in
// the X-Bastion-Token header, and the Server-Sent Events stream. No side effects on import:
// each page's own entry (./bridge-client, ./keys-bridge-client, ./tray-bridge-client) defines
// its window object with these.

/** An error the trusted side returned, with its code (e.g. the backend's validation code). */
export class BridgeCallError extends Error {
  readonly code: string;
  constructor(name: string, code: string, message: string) {
    super(message);
    this.name = name;
    this.code = code;
  }
}

/**
 * The token arrives in the URL fragment (browsers never send fragments to the server) and is
 * removed from the address bar and history at once.
 */
export function takeTokenFromUrl(): string {
  const match = /(?:^#|&)token=([0-9a-f]{64})(?:&|$)/.exec(window.location.hash);
  window.history.replaceState(null, '', window.location.pathname + window.location.search);
  return match ? match[1]! : '';
}

interface WireAnswer {
  ok: boolean;
  value?: unknown;
  error?: { name?: string; code?: string; message?: string };
}

/**
 * JSON of the page's arguments. Values JSON would silently drop or change (functions,
 * symbols, `undefined` members) make the call fail here instead, as Electron's structured
 * clone fails on functions: the trusted side must see what the page passed, or nothing.
 * `target` names the receiving side in the error ("the greeter", "the tray").
 */
function encodeArgs(args: readonly unknown[], target: string): string {
  return JSON.stringify({ args }, (key, value: unknown) => {
    const kind = typeof value;
    if (kind === 'function' || kind === 'symbol' || (kind === 'undefined' && key !== '')) {
      throw new TypeError(`a ${kind} cannot be sent to ${target}`);
    }
    return value;
  });
}

/** One call over `POST /api/<call>`: its value, or a BridgeCallError with the trusted side's code. */
export async function postBridgeCall(
  token: string,
  call: string,
  args: readonly unknown[],
  target: string,
): Promise<unknown> {
  const body = encodeArgs(args, target);
  const response = await fetch(`/api/${call}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Bastion-Token': token },
    body,
    cache: 'no-store',
    credentials: 'omit',
  });
  let answer: WireAnswer;
  try {
    answer = (await response.json()) as WireAnswer;
  } catch {
    throw new BridgeCallError('BridgeError', 'BRIDGE_BAD_ANSWER', `HTTP ${response.status}`);
  }
  if (!response.ok || !answer.ok) {
    const error = answer.error ?? {};
    throw new BridgeCallError(
      error.name ?? 'BridgeError',
      error.code ?? `HTTP_${response.status}`,
      error.message ?? `HTTP ${response.status}`,
    );
  }
  return answer.value;
}

/**
 * One `/events` stream for the snapshot event names a page uses, open while anyone listens and
 * closed when the last listener leaves; `subscribe(name)` is the subscribe function of that
 * event's snapshots.
 */
export function createSnapshotEvents(
  token: string,
  names: readonly string[],
): { subscribe<S>(name: string): (listener: (snapshot: S) => void) => () => void } {
  const listenersOf = new Map(names.map((name) => [name, new Set<(snapshot: unknown) => void>()]));
  let events: EventSource | null = null;
  const open = (): void => {
    if (events) return;
    events = new EventSource(`/events?token=${token}`);
    for (const [name, listeners] of listenersOf) {
      events.addEventListener(name, (event) => {
        const snapshot: unknown = JSON.parse((event as MessageEvent<string>).data);
        for (const each of listeners) each(snapshot);
      });
    }
  };
  const closeIfUnused = (): void => {
    if (events && [...listenersOf.values()].every((set) => set.size === 0)) {
      events.close();
      events = null;
    }
  };
  return {
    subscribe<S>(name: string) {
      const listeners = listenersOf.get(name);
      if (!listeners) throw new TypeError(`no snapshot event named ${name}`);
      return (listener: (snapshot: S) => void) => {
        const each = listener as (snapshot: unknown) => void;
        listeners.add(each);
        open();
        return () => {
          listeners.delete(each);
          closeIfUnused();
        };
      };
    },
  };
}
