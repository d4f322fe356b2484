// The tray's status page (tray.html → tray.js). Untrusted and sandboxed like the greeter's:
// its only door is window.bastionTray (preload/tray-api.ts). The store connects before React
// renders, so main's answers are on their way while React starts.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { TrayApp } from './components/TrayApp';
import { TrayStoreContext } from './components/context';
import { createTrayStore } from './store';

const store = createTrayStore(window.bastionTray);
store.getState().connect();

const container = document.getElementById('root');
if (container === null) throw new Error('tray.html has no #root element');
createRoot(container).render(
  <StrictMode>
    <TrayStoreContext value={store}>
      <TrayApp />
    </TrayStoreContext>
  </StrictMode>,
);
