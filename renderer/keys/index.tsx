// The key manager's page (keys.html → keys.js). Untrusted and sandboxed like the greeter's:
// its only door is window.bastionKeys (preload/keys-api.ts). The store connects before React
// renders, so main's answers are on their way while React starts.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { KeysApp } from './components/KeysApp';
import { KeysStoreContext } from './components/context';
import { createKeysStore } from './store';

const store = createKeysStore(window.bastionKeys);
store.getState().connect();

const container = document.getElementById('root');
if (container === null) throw new Error('keys.html has no #root element');
createRoot(container).render(
  <StrictMode>
    <KeysStoreContext value={store}>
      <KeysApp />
    </KeysStoreContext>
  </StrictMode>,
);
