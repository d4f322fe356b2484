// The greeter page as served, with its first paint: main knows the screen's info and options
// when the page asks for index.html, so it serves the screen's markup already rendered (the
// renderer's own components, built into build/app/first-paint.cjs) and those answers as a JSON
// data block; the page hydrates that markup (renderer/first-paint.ts) instead of building it
// after its ~100 ms of script, and the form can be typed into from the first frame. The same
// function serves the page for Electron's app:// handler and for the Chromium fallback's bridge.
//
// Only getInfo's and getScreenOptions' answers are embedded, what the screen shows anyway;
// never a snapshot (a conversation, a key, an SSO code): those come over the API as before.
// Anything wrong (no renderer, a slow backend, a render error) serves the plain page, which
// asks for the same answers itself: slower, never less safe.
import { createRequire } from 'node:module';
import type { GreeterInfo, ScreenOptions } from '../../preload/api';

/** renderer/first-paint.ts FIRST_PAINT_DATA_ID: the page reads the data block by this id. */
export const FIRST_PAINT_DATA_ID = 'bastion-first-paint';
/** renderer/early-input-queue.ts START_STALLED_ATTRIBUTE. */
export const START_STALLED_ATTRIBUTE = 'data-start-stalled';

export interface FirstPaintData {
  info: GreeterInfo;
  screen: ScreenOptions;
}

/** What renderer/first-paint-server.tsx returns. */
export interface FirstPaintMarkup {
  /** The inside of `<div id="root">`. */
  markup: string;
  lang: string;
  title: string;
  /**
   * The "did not start" text early.js shows when the page never hydrates; carried by an
   * attribute of the root element (renderer/early-input-queue.ts START_STALLED_ATTRIBUTE).
   */
  startStalled: string;
}

export type FirstPaintRenderer = (data: FirstPaintData) => FirstPaintMarkup;

export type FirstPaintErrorCode =
  | 'FIRST_PAINT_RENDERER_MISSING'
  | 'FIRST_PAINT_RENDERER_INVALID'
  | 'FIRST_PAINT_NO_ROOT'
  | 'FIRST_PAINT_TIMEOUT';

export class FirstPaintError extends Error {
  readonly code: FirstPaintErrorCode;
  constructor(code: FirstPaintErrorCode, message: string) {
    super(message);
    this.name = 'FirstPaintError';
    this.code = code;
  }
}

/** Loads build/app/first-paint.cjs (by absolute path: main does not import the renderer). */
export function loadFirstPaintRenderer(file: string): FirstPaintRenderer {
  let loaded: unknown;
  try {
    loaded = createRequire(file)(file);
  } catch (error) {
    throw new FirstPaintError(
      'FIRST_PAINT_RENDERER_MISSING',
      `cannot load ${file}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const render = (loaded as { renderFirstPaint?: unknown } | null)?.renderFirstPaint;
  if (typeof render !== 'function') {
    throw new FirstPaintError('FIRST_PAINT_RENDERER_INVALID', `${file} has no renderFirstPaint`);
  }
  return render as FirstPaintRenderer;
}

const ROOT = '<div id="root"></div>';

/**
 * JSON that can sit inside `<script type="application/json">`: no `<` (so no `</script>` nor
 * `<!--`), `>` or `&` in it whatever the strings hold (a notice's text, a real name).
 */
export function jsonForScriptBlock(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

const escapeHtml = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * index.html with the markup inside its (empty) root element, the data block after it, and
 * the document's language and title. Spliced, not `String.replace`d: a `$&` in a name must
 * stay text.
 */
export function composeFirstPaintDocument(
  template: string,
  data: FirstPaintData,
  rendered: FirstPaintMarkup,
): string {
  const at = template.indexOf(ROOT);
  if (at < 0 || template.indexOf(ROOT, at + 1) >= 0) {
    throw new FirstPaintError('FIRST_PAINT_NO_ROOT', `the page needs exactly one ${ROOT}`);
  }
  let html =
    template.slice(0, at) +
    `<div id="root" ${START_STALLED_ATTRIBUTE}="${escapeHtml(rendered.startStalled)}">` +
    `${rendered.markup}</div>\n    ` +
    `<script type="application/json" id="${FIRST_PAINT_DATA_ID}">${jsonForScriptBlock(data)}</script>` +
    template.slice(at + ROOT.length);
  if (/^[a-z]{2}$/.test(rendered.lang)) {
    html = html.replace(/<html\b[^>]*>/i, () => `<html lang="${rendered.lang}">`);
  }
  html = html.replace(
    /<title>[^<]*<\/title>/i,
    () => `<title>${escapeHtml(rendered.title)}</title>`,
  );
  return html;
}

/** What the data comes from: the greeter's backend (main/ipc/greeter-backend.ts). */
export interface FirstPaintSource {
  handle(call: string, payload: unknown): Promise<unknown>;
}

export interface FirstPaintOptions {
  source: FirstPaintSource;
  /** null: serve the plain page (the renderer bundle did not load). */
  renderer: FirstPaintRenderer | null;
  /** Longer than this for the answers, and the plain page is served. */
  timeoutMs?: number;
  log?: (line: string) => void;
}

/** A plain page is served rather than one held back longer than this. */
export const FIRST_PAINT_TIMEOUT_MS = 500;

/**
 * Returns the function that turns index.html into the document to serve, per request (the
 * answers are those of that moment, as the page's own calls would get).
 */
export function createFirstPaint(
  options: FirstPaintOptions,
): (template: string) => Promise<string> {
  const { source, renderer } = options;
  const timeoutMs = options.timeoutMs ?? FIRST_PAINT_TIMEOUT_MS;
  let reported = false;
  const report = (error: unknown): void => {
    if (reported) return; // once: a page reloaded in a loop must not fill the journal
    reported = true;
    const code = error instanceof FirstPaintError ? error.code : 'FIRST_PAINT_RENDER_FAILED';
    const message = error instanceof Error ? error.message : String(error);
    options.log?.(`first paint: ${code}: ${message}; serving the plain page`);
  };
  if (renderer === null) return (template) => Promise.resolve(template);
  return async (template) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const answers = Promise.all([
        source.handle('getInfo', undefined),
        source.handle('getScreenOptions', undefined),
      ]);
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new FirstPaintError('FIRST_PAINT_TIMEOUT', `no answers in ${timeoutMs} ms`)),
          timeoutMs,
        );
      });
      const [info, screen] = await Promise.race([answers, late]);
      // What the page will parse back, so that both renders start from the very same state.
      const data = JSON.parse(JSON.stringify({ info, screen })) as FirstPaintData;
      return composeFirstPaintDocument(template, data, renderer(data));
    } catch (error) {
      report(error);
      return template;
    } finally {
      clearTimeout(timer);
    }
  };
}

/**
 * What a composition root (app/, dev/) wires: the renderer bundle loaded from `rendererFile`
 * (build/app/first-paint.cjs), or the plain page when it does not load (logged once).
 */
export function firstPaintFromFile(
  source: FirstPaintSource,
  rendererFile: string,
  log?: (line: string) => void,
): (template: string) => Promise<string> {
  let renderer: FirstPaintRenderer | null = null;
  try {
    renderer = loadFirstPaintRenderer(rendererFile);
  } catch (error) {
    const code = error instanceof FirstPaintError ? error.code : 'FIRST_PAINT_RENDERER_MISSING';
    log?.(`first paint: ${code}: ${error instanceof Error ? error.message : String(error)}`);
  }
  return createFirstPaint({ source, renderer, ...(log ? { log } : {}) });
}
