// Imported first by index.tsx, so that it runs before React's ~250 KB are evaluated: the calls
// to main (info, screen options, snapshot) are on their way while React starts instead of
// after it, and their answers are usually in by the first render.
import { createGreeterStore } from './store/greeter-store';

export const store = createGreeterStore(window.bastion);
store.getState().connect();
