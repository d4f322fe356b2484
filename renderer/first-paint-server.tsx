// build/app/first-paint.cjs: the renderer's components rendered to markup in main's process,
// for main/screens/first-paint.ts (which loads this bundle by path: main never imports the
// renderer). The same tree as index.tsx's, from the state the page will hydrate with.
import { renderToString } from 'react-dom/server';
import type { BastionApi } from '../preload/api';
import { firstPaintState, type FirstPaintData } from './first-paint';
import { messagesFor } from './i18n';
import { GreeterRoot } from './root';
import { createGreeterStore } from './store/greeter-store';

export interface FirstPaintMarkup {
  /** The inside of `<div id="root">`. */
  markup: string;
  lang: string;
  title: string;
  /** What early.js shows should the page never hydrate (renderer/early-input.ts). */
  startStalled: string;
}

/** Rendering calls nothing: event handlers and effects, the only API users, never run here. */
const NO_API = new Proxy({} as BastionApi, {
  get: () => () => Promise.reject(new Error('no API while rendering the first paint')),
});

export function renderFirstPaint(data: FirstPaintData): FirstPaintMarkup {
  const store = createGreeterStore(NO_API, firstPaintState(data));
  const markup = renderToString(<GreeterRoot store={store} />);
  const t = messagesFor(data.info.locale);
  return { markup, lang: data.info.locale, title: t.documentTitle, startStalled: t.startStalled };
}
