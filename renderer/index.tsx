// Renderer entry. The page is untrusted and sandboxed: its only door is window.bastion.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './components/App';
import { GreeterStoreContext } from './components/context';
import { createGreeterStore } from './store/greeter-store';

const container = document.getElementById('root');
if (container === null) throw new Error('index.html has no #root element');

const store = createGreeterStore(window.bastion);
store.getState().connect();

createRoot(container).render(
  <StrictMode>
    <GreeterStoreContext value={store}>
      <App />
    </GreeterStoreContext>
  </StrictMode>,
);
