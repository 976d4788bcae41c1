// A tiny typed emitter for driver events. A listener that throws is logged once and never
// stops the device or the other listeners.
import type { DriverEventMap, DriverLogger, DriverTopic, Emit } from './types.ts';

type Listener<K extends DriverTopic> = (event: DriverEventMap[K]) => void;

export class DriverEvents {
  private readonly listeners: { [K in DriverTopic]: Set<Listener<K>> } = {
    scan: new Set(),
    scan_error: new Set(),
    device: new Set(),
    drawer: new Set(),
  };

  constructor(private readonly log?: DriverLogger) {}

  on<K extends DriverTopic>(topic: K, listener: Listener<K>): () => void {
    const set = this.listeners[topic] as Set<Listener<K>>;
    set.add(listener);
    return () => { set.delete(listener); };
  }

  readonly emit: Emit = (topic, event) => {
    for (const listener of [...this.listeners[topic]] as Array<Listener<typeof topic>>) {
      try {
        listener(event);
      } catch (error) {
        this.log?.error({ err: error, topic }, 'driver event listener failed');
      }
    }
  };

  clear(): void {
    for (const set of Object.values(this.listeners)) set.clear();
  }
}
