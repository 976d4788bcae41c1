// Typed in-process event bus. Listeners are isolated: one that throws is logged and
// never stops the emitter or the other listeners.
import type { EventTopic } from '../protocol/local.ts';
import type { Logger } from '../runtime/log.ts';

export type EventData = Record<string, unknown>;
export type Listener = (topic: EventTopic, data: EventData) => void;

export class EventBus {
  private readonly listeners = new Map<EventTopic, Set<Listener>>();

  constructor(private readonly log?: Logger) {}

  /** Returns the function that removes this listener. */
  on(topic: EventTopic, listener: Listener): () => void {
    let set = this.listeners.get(topic);
    if (!set) this.listeners.set(topic, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  emit(topic: EventTopic, data: EventData): void {
    const set = this.listeners.get(topic);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        listener(topic, data);
      } catch (error) {
        this.log?.error({ err: error, topic }, 'event listener failed');
      }
    }
  }

  listenerCount(topic: EventTopic): number {
    return this.listeners.get(topic)?.size ?? 0;
  }
}
