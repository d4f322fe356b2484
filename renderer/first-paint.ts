// The first paint served with the page (main/screens/first-paint.ts): main knows the screen's
// info and options when it serves index.html, so it serves the screen's markup with them, and
// the page hydrates that markup instead of building it after its ~100 ms of script. What the
// server rendered and what the page renders on hydration must be the same tree, so both sides
// build the state with these same functions from the same data block.
import type { BastionApi, GreeterInfo, ScreenOptions } from '../preload/api';
import { initialState, withInfo, withScreen, type GreeterState } from './store/state';

/**
 * The id of the `<script type="application/json">` data block (main/screens/first-paint.ts
 * FIRST_PAINT_DATA_ID says the same). A JSON data block is never run, so the CSP's
 * `script-src 'self'` is untouched.
 */
export const FIRST_PAINT_DATA_ID = 'bastion-first-paint';

/** What main embeds: the answers of getInfo and getScreenOptions at serve time. */
export interface FirstPaintData {
  info: GreeterInfo;
  screen: ScreenOptions;
}

/** The state both the server render and the hydration render start from. */
export function firstPaintState(data: FirstPaintData): GreeterState {
  return withScreen(withInfo(initialState(), data.info), data.screen);
}

/** The data block when the page came with a first paint, else null (plain index.html). */
export function readFirstPaintData(doc: Document): FirstPaintData | null {
  const block = doc.getElementById(FIRST_PAINT_DATA_ID);
  const root = doc.getElementById('root');
  // Without markup to hydrate the data alone is no use: render from scratch as before.
  if (block === null || root === null || root.firstElementChild === null) return null;
  try {
    const data = JSON.parse(block.textContent ?? '') as Partial<FirstPaintData> | null;
    if (typeof data?.info !== 'object' || data.info === null) return null;
    if (typeof data.screen !== 'object' || data.screen === null) return null;
    return data as FirstPaintData;
  } catch {
    return null;
  }
}

/** Holds deliveries back until opened, then runs them in arrival order and lets later ones by. */
export interface DeliveryGate {
  run(deliver: () => void): void;
  open(): void;
}

export function createDeliveryGate(): DeliveryGate {
  let held: (() => void)[] | null = [];
  return {
    run(deliver) {
      if (held === null) deliver();
      else held.push(deliver);
    },
    open() {
      const queued = held ?? [];
      held = null;
      for (const deliver of queued) deliver();
    },
  };
}

/**
 * The page's API for a hydrated start: getInfo and getScreenOptions answer with the served
 * data (what the markup was rendered from), and every other answer or push is held by `gate`
 * until hydration has committed. The calls themselves go out at once. Held because the tree
 * hydrated must be exactly the served one: a snapshot landing before (the offline flag, a
 * running attempt after a reload) would make React throw the served markup away, and with it
 * what the person had typed into it.
 */
export function firstPaintApi(
  api: BastionApi,
  data: FirstPaintData,
  gate: DeliveryGate,
): BastionApi {
  const hold =
    <A extends unknown[], T>(call: (...args: A) => Promise<T>) =>
    (...args: A): Promise<T> =>
      new Promise<T>((resolve, reject) => {
        call(...args).then(
          (value) => gate.run(() => resolve(value)),
          (error: unknown) => gate.run(() => reject(error)),
        );
      });
  const holdListener =
    <T>(subscribe: (listener: (value: T) => void) => () => void) =>
    (listener: (value: T) => void): (() => void) =>
      subscribe((value) => gate.run(() => listener(value)));
  return {
    getInfo: () => Promise.resolve(data.info),
    getScreenOptions: () => Promise.resolve(data.screen),
    getAuthSnapshot: hold(() => api.getAuthSnapshot()),
    startAuth: hold((request) => api.startAuth(request)),
    answer: hold((request) => api.answer(request)),
    cancelAuth: hold(() => api.cancelAuth()),
    powerAction: hold((request) => api.powerAction(request)),
    startAssistiveTool: hold((request) => api.startAssistiveTool(request)),
    setKeyboardLayout: hold((request) => api.setKeyboardLayout(request)),
    onAuthSnapshot: holdListener((listener) => api.onAuthSnapshot(listener)),
    getKeySnapshot: hold(() => api.getKeySnapshot()),
    answerKeyPin: hold((request) => api.answerKeyPin(request)),
    cancelKey: hold(() => api.cancelKey()),
    onKeySnapshot: holdListener((listener) => api.onKeySnapshot(listener)),
    getSsoSnapshot: hold(() => api.getSsoSnapshot()),
    startSso: hold((request) => api.startSso(request)),
    cancelSso: hold(() => api.cancelSso()),
    onSsoSnapshot: holdListener((listener) => api.onSsoSnapshot(listener)),
  };
}
