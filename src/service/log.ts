import pino, { type Logger } from 'pino';
import type { Config } from '../config/index.js';

/** Structured JSON logs; `debug` lowers the level; log_file/log_dir send them to a file. */
export function createLogger(config: Config, bindings: Record<string, unknown> = {}): Logger {
  const level = process.env.NEUTRON_TS_LOG_LEVEL ?? (config.DEFAULT.debug ? 'debug' : 'info');
  const file = config.DEFAULT.log_file
    ? (config.DEFAULT.log_dir ? `${config.DEFAULT.log_dir}/${config.DEFAULT.log_file}` : config.DEFAULT.log_file)
    : null;
  const destination = file ? pino.destination({ dest: file, mkdir: true, sync: false }) : pino.destination({ fd: 1, sync: false });
  return pino({ level, base: { pid: process.pid, ...bindings }, timestamp: pino.stdTimeFunctions.isoTime }, destination);
}
