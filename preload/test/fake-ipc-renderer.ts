// FakeIpcRendererForTest: a stand-in for Electron's ipcRenderer (it cannot load under Node).
import type { IpcRendererEvent } from 'electron';
import type { PreloadIpcRenderer } from '../bridge';

type Listener = (event: IpcRendererEvent, ...args: unknown[]) => void;

/** Records what the preload sends and lets the test emit events. */
export class FakeIpcRendererForTest {
  readonly invoked: { channel: string; args: unknown[] }[] = [];
  readonly listeners = new Map<string, Set<Listener>>();

  invoke(channel: string, ...args: unknown[]): Promise<unknown> {
    this.invoked.push({ channel, args });
    return Promise.resolve(`answer of ${channel}`);
  }
  on(channel: string, listener: Listener): this {
    const set = this.listeners.get(channel) ?? new Set<Listener>();
    set.add(listener);
    this.listeners.set(channel, set);
    return this;
  }
  removeListener(channel: string, listener: Listener): this {
    this.listeners.get(channel)?.delete(listener);
    return this;
  }
  emit(channel: string, ...args: unknown[]): void {
    const event = { sender: 'ipc-handle-that-must-not-leak' } as unknown as IpcRendererEvent;
    for (const listener of this.listeners.get(channel) ?? []) listener(event, ...args);
  }
  asIpcRenderer(): PreloadIpcRenderer {
    return this as unknown as PreloadIpcRenderer;
  }
}
