// Imported first by index.tsx, so that it runs before React's ~250 KB are evaluated: the calls
// to main (info, screen options, snapshot) are on their way while React starts instead of
// after it, and their answers are usually in by the first render.
//
// With a served first paint (./first-paint.ts) info and screen options came with the page:
// the store starts from them, as the server's render did, and holds every other answer until
// the markup is hydrated (`hydrated.open()`, index.tsx).
import {
  createDeliveryGate,
  firstPaintApi,
  firstPaintState,
  readFirstPaintData,
  type FirstPaintData,
} from './first-paint';
import { createGreeterStore } from './store/greeter-store';

export const firstPaint: FirstPaintData | null = readFirstPaintData(document);
export const hydrated = createDeliveryGate();
if (firstPaint === null) hydrated.open();

export const store =
  firstPaint === null
    ? createGreeterStore(window.bastion)
    : createGreeterStore(
        firstPaintApi(window.bastion, firstPaint, hydrated),
        firstPaintState(firstPaint),
      );
store.getState().connect();
