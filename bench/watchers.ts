import { Agent, request } from 'undici';
import type { Caller } from './api.js';

/**
 * Clients following a collection's change stream (`?watch=true`) while the scenarios run: each
 * holds its own connection and counts the events it receives.
 */
export class Watchers {
  events = 0;
  private readonly agent: Agent;
  private readonly streams: Array<{ destroy(): void }> = [];
  private readonly done: Array<Promise<void>> = [];

  constructor(private readonly url: string, private readonly token: string | null, private readonly caller: Caller) {
    this.agent = new Agent({ connections: null, bodyTimeout: 0, headersTimeout: 10_000 });
  }

  /** Opens `n` watches of `collection` and resolves once every one of them is streaming. */
  async open(n: number, collection: string): Promise<void> {
    const headers: Record<string, string> = { accept: 'text/event-stream', ...this.caller.headers };
    if (this.token) headers['x-auth-token'] = this.token;
    const base = this.url.replace(/\/$/, '');
    await Promise.all(Array.from({ length: n }, async () => {
      const res = await request(`${base}/v2.0/${collection}?watch=true`, { headers, dispatcher: this.agent });
      if (res.statusCode !== 200) throw new Error(`watch ${collection}: ${res.statusCode} ${await res.body.text()}`);
      this.streams.push(res.body);
      this.done.push((async () => {
        let tail = '';
        try {
          for await (const chunk of res.body) {
            const text = tail + (chunk as Buffer).toString('utf8');
            const cut = text.lastIndexOf('\n');
            for (const line of text.slice(0, cut + 1).split('\n')) if (line.startsWith('event: ')) this.events++;
            tail = text.slice(cut + 1);
          }
        } catch {
          // destroyed by close()
        }
      })());
    }));
  }

  async close(): Promise<void> {
    for (const s of this.streams) s.destroy();
    await Promise.all(this.done);
    await this.agent.close();
  }
}
