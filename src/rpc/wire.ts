/**
 * The message format of oslo.messaging 14 (rabbit driver): the 2.0 envelope, the flattened
 * `_context_*` keys, unique ids, version compatibility, and the JSON encoding of jsonutils.
 */
import { randomUUID } from 'node:crypto';
import { UnsupportedRpcEnvelopeVersion } from './errors.js';

export type Json = Record<string, unknown>;

export const ENVELOPE_VERSION = '2.0';

/** uuid4().hex: 32 hex digits, no dashes (message ids, unique ids, queue suffixes). */
export function uuidHex(): string {
  return randomUUID().replaceAll('-', '');
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** Python's str(datetime) of a naive UTC time: "2024-05-01 10:00:00.123000" (no fraction if 0). */
export function pythonDatetime(d: Date, sep = ' '): string {
  const base = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}${sep}` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  const ms = d.getUTCMilliseconds();
  return ms ? `${base}.${pad(ms * 1000, 6)}` : base;
}

/** jsonutils.dumps conversions: datetime → "%Y-%m-%dT%H:%M:%S.%f", sets → lists, maps → objects. */
function replacer(this: Record<string, unknown>, key: string, value: unknown): unknown {
  const raw = this[key];
  if (raw instanceof Date) {
    const s = pythonDatetime(raw, 'T');
    return s.includes('.') ? s : `${s}.000000`;
  }
  if (raw instanceof Set) return [...raw];
  if (raw instanceof Map) return Object.fromEntries(raw);
  if (typeof raw === 'bigint') return Number(raw);
  return value;
}

export function toJson(value: unknown): string {
  return JSON.stringify(value, replacer);
}

export function serializeMsg(msg: Json): string {
  return toJson({ 'oslo.version': ENVELOPE_VERSION, 'oslo.message': toJson(msg) });
}

export function versionIsCompatible(implemented: string | null | undefined, requested: string | null | undefined): boolean {
  if (implemented == null) return true;
  if (requested == null) return false;
  const [maj, min, rev = '0'] = requested.split('.');
  const [iMaj, iMin, iRev = '0'] = implemented.split('.');
  if (Number(maj) !== Number(iMaj)) return false;
  if (Number(min) > Number(iMin)) return false;
  return !(Number(min) === Number(iMin) && Number(rev) > Number(iRev));
}

/** Parses an AMQP body: an enveloped message (2.0) or an old, unwrapped one (1.0). */
export function deserializeMsg(body: string): unknown {
  const msg: unknown = JSON.parse(body);
  if (!msg || typeof msg !== 'object' || Array.isArray(msg)) return msg;
  const m = msg as Json;
  if (!('oslo.version' in m && 'oslo.message' in m)) return m;
  if (!versionIsCompatible(ENVELOPE_VERSION, String(m['oslo.version']))) throw new UnsupportedRpcEnvelopeVersion(m['oslo.version']);
  return JSON.parse(String(m['oslo.message']));
}

export function packContext(msg: Json, context: Json): void {
  for (const [k, v] of Object.entries(context)) msg[`_context_${k}`] = v;
}

export interface Unpacked {
  context: Json;
  msgId: string | null;
  replyQ: string | null;
  clientTimeout: unknown;
}

/** Removes the `_context_*`, `_msg_id`, `_reply_q` and `_timeout` keys from msg and returns them. */
export function unpackContext(msg: Json): Unpacked {
  const context: Json = {};
  for (const key of Object.keys(msg)) {
    if (key.startsWith('_context_')) {
      context[key.slice(9)] = msg[key];
      delete msg[key];
    }
  }
  const out = {
    context,
    msgId: typeof msg._msg_id === 'string' && msg._msg_id ? msg._msg_id : null,
    replyQ: typeof msg._reply_q === 'string' ? msg._reply_q : null,
    clientTimeout: msg._timeout ?? null,
  };
  delete msg._msg_id;
  delete msg._reply_q;
  delete msg._timeout;
  return out;
}

/** The last 16 `_unique_id`s seen by one listener (oslo's _MsgIdCache). */
export class DuplicateFilter {
  private ids: string[] = [];
  /** True if the id was already seen; otherwise remembers it. */
  seen(id: unknown): boolean {
    if (typeof id !== 'string' || !id) return false;
    if (this.ids.includes(id)) return true;
    this.ids.push(id);
    if (this.ids.length > 16) this.ids.shift();
    return false;
  }
}
