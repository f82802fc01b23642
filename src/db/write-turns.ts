import cluster from 'node:cluster';

/**
 * Turns at SQLite's write lock for the worker processes of one server. SQLite queues nobody: a
 * process that finds the lock taken can only try again later, and the one that has just committed,
 * trying again at once, wins nearly every time (one API worker was seen doing five times the work
 * of the other, whose requests waited). So workers ask the supervisor for the next turn before
 * they take the lock and hand it back after the commit; the supervisor grants turns first come,
 * first served (WriteTurnBroker). A process outside the supervisor has no turns and simply retries
 * on SQLITE_BUSY.
 */
export interface WriteTurns {
  take(): Promise<void>;
  release(): void;
}

export type TurnRequest = { type: 'write-turn-wanted' } | { type: 'write-turn-done' };
export type TurnGrant = { type: 'write-turn' };

let turns: WriteTurns | null | undefined;

/** This worker's turns (one queue for all its databases), or null outside a supervisor's worker. */
export function workerWriteTurns(): WriteTurns | null {
  if (turns !== undefined) return turns;
  if (!cluster.isWorker || !process.send) return (turns = null);
  const send = (m: TurnRequest) => process.send!(m);
  const waiting: Array<() => void> = [];
  process.on('message', (m: { type?: string }) => {
    if (m?.type === 'write-turn') waiting.shift()?.();
  });
  return (turns = {
    take: () => new Promise<void>((granted) => {
      waiting.push(granted);
      send({ type: 'write-turn-wanted' });
    }),
    release: () => send({ type: 'write-turn-done' }),
  });
}

/** The supervisor's side: one turn at a time, in the order they were asked for. */
export class WriteTurnBroker<W> {
  private readonly queue: W[] = [];
  private holder: W | null = null;

  constructor(private readonly grant: (worker: W) => void) {}

  onMessage(worker: W, m: { type?: string }): void {
    if (m.type === 'write-turn-wanted') {
      this.queue.push(worker);
      this.next();
    } else if (m.type === 'write-turn-done' && this.holder === worker) {
      this.holder = null;
      this.next();
    }
  }

  /** A worker that exited gives back its turn and its place in the queue. */
  gone(worker: W): void {
    for (let i = this.queue.indexOf(worker); i >= 0; i = this.queue.indexOf(worker)) this.queue.splice(i, 1);
    if (this.holder === worker) {
      this.holder = null;
      this.next();
    }
  }

  private next(): void {
    while (!this.holder && this.queue.length) {
      const worker = this.queue.shift()!;
      this.holder = worker;
      try {
        this.grant(worker);
      } catch {
        this.holder = null; // its channel is closed: it is exiting
      }
    }
  }
}
