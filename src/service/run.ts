import type { LoadResult } from '../config/index.js';
import { createLogger } from './log.js';
import { buildServer, configDirsOf } from './server.js';

/** Runs the API server in this process until SIGTERM/SIGINT. */
export async function runServer({ config, warnings, sources }: LoadResult): Promise<void> {
  const log = createLogger(config);
  for (const w of warnings) log.warn(w);
  const server = await buildServer({ config, log, configDirs: configDirsOf(sources) });
  await server.app.listen({ host: config.DEFAULT.bind_host, port: config.DEFAULT.bind_port });
  log.info({ host: config.DEFAULT.bind_host, port: config.DEFAULT.bind_port, config_files: sources }, 'neutron-ts API serving');
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) process.exit(1);
    stopping = true;
    log.info({ signal }, 'stopping');
    await server.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}
