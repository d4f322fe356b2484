// Turns the structured auth messages of a snapshot into sentences for the messages area.
// Verbatim PAM text stays verbatim; everything main interpreted gets a translated sentence
// that says what happened and what to do.
import type { AuthFailure, AuthMessage } from '../../preload/api';
import type { Messages } from '../i18n';
import { formatDateTime } from './dates';

/** How a line is presented: errors are announced assertively (role="alert"). */
export type LineTone = 'info' | 'error' | 'touch' | 'success';

export interface DescribedLine {
  tone: LineTone;
  text: string;
}

export function describeMessage(message: AuthMessage, t: Messages): DescribedLine {
  switch (message.kind) {
    case 'info':
      return { tone: 'info', text: message.text };
    case 'error':
      return { tone: 'error', text: message.text };
    case 'touch':
      return { tone: 'touch', text: message.text };
    case 'offline-error':
      return {
        tone: message.name === 'OK' ? 'success' : 'error',
        text: t.offlineError[message.name] ?? t.offlineError.UNKNOWN,
      };
    case 'offline-ok':
      return {
        tone: 'success',
        text: t.cachedValidUntil(formatDateTime(new Date(message.expiresAt * 1000), t.intlLocale)),
      };
  }
}

export function describeFailure(failure: AuthFailure, t: Messages): string {
  return t.failure[failure.reason] ?? t.failure.internal;
}

export interface PlannedLine extends DescribedLine {
  key: number;
  /** This line is the attempt's verdict (aria-describedby target of the answer field). */
  verdict: boolean;
}

export interface MessagePlan {
  /** The latest touch cue while an attempt runs: shown as the big "touch your key" prompt. */
  touchCue: string | null;
  lines: PlannedLine[];
}

/**
 * What the messages area shows, in order. The failure sentence comes last, unless the offline
 * cache already said precisely why (OFFLINE_ERROR LOCKED, EXPIRED…): then that line is the
 * verdict and the generic "locked"/"offline-cache" sentence would only repeat it.
 */
export function planMessages(
  messages: readonly AuthMessage[],
  failure: AuthFailure | null,
  attemptActive: boolean,
  t: Messages,
): MessagePlan {
  let touchCue: string | null = null;
  const lines: PlannedLine[] = [];
  messages.forEach((message, index) => {
    if (message.kind === 'offline-ok') return; // shown as "cached login valid until"
    if (attemptActive && message.kind === 'touch') {
      touchCue = message.text;
      return;
    }
    lines.push({ ...describeMessage(message, t), key: index, verdict: false });
  });

  if (failure !== null) {
    const coveredByCache = failure.reason === 'locked' || failure.reason === 'offline-cache';
    const cacheLine = coveredByCache
      ? lines.findLast((line) => {
          const message = messages[line.key];
          return message?.kind === 'offline-error' && message.name !== 'OK';
        })
      : undefined;
    if (cacheLine !== undefined) cacheLine.verdict = true;
    else lines.push({ tone: 'error', text: describeFailure(failure, t), key: -1, verdict: true });
  }
  return { touchCue, lines };
}
