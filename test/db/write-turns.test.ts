import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WriteTurnBroker } from '../../src/db/write-turns.js';

test('write turns are granted one at a time, first come first served; a worker that exits gives its turn back', () => {
  const granted: string[] = [];
  const broker = new WriteTurnBroker<string>((w) => granted.push(w));
  const want = (w: string) => broker.onMessage(w, { type: 'write-turn-wanted' });
  const done = (w: string) => broker.onMessage(w, { type: 'write-turn-done' });
  want('a');
  want('b');
  want('c');
  assert.deepEqual(granted, ['a']);
  done('b'); // not its turn: ignored
  assert.deepEqual(granted, ['a']);
  done('a');
  want('a'); // back to the end of the queue
  assert.deepEqual(granted, ['a', 'b']);
  broker.gone('c'); // waiting: leaves the queue
  done('b');
  assert.deepEqual(granted, ['a', 'b', 'a']);
  want('b');
  broker.gone('a'); // holding: the next one gets the turn
  assert.deepEqual(granted, ['a', 'b', 'a', 'b']);
});
