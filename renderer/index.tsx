// Renderer entry. The page is untrusted and sandboxed: its only door is window.bastion.
// early-store comes first on purpose (see there): keep it the first import.
import { store } from './early-store';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './components/App';
import { GreeterStoreContext } from './components/context';

const container = document.getElementById('root');
if (container === null) throw new Error('index.html has no #root element');

createRoot(container).render(
  <StrictMode>
    <GreeterStoreContext value={store}>
      <App />
    </GreeterStoreContext>
  </StrictMode>,
);
