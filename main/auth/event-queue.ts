// The events of one conversation, as its carrier reports them: pushed in order, consumed once by
// `events()`, which ends after the `result` event. One queue for the display-manager clients
// (main/dm/) and the method route (./method-route.ts), which all hand the controller an
// AuthConversation.
import type { ConversationEvent } from './transport';

export class ConversationEventQueue {
  private readonly queue: ConversationEvent[] = [];
  private readonly waiters: ((event: ConversationEvent) => void)[] = [];

  push(event: ConversationEvent): void {
    const waiter = this.waiters.shift();
    if (waiter) waiter(event);
    else this.queue.push(event);
  }

  async *events(): AsyncGenerator<ConversationEvent> {
    for (;;) {
      const event =
        this.queue.shift() ?? (await new Promise<ConversationEvent>((r) => this.waiters.push(r)));
      yield event;
      if (event.type === 'result') return;
    }
  }
}
