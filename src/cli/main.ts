import { Command } from 'commander';
import { ConfigError, loadConfig, type LoadResult } from '../config/index.js';
import { Database } from '../db/database.js';
import { upgrade } from '../db/migrate.js';
import { createLogger } from '../service/log.js';
import { runServer } from '../service/supervisor.js';

const collect = (value: string, previous: string[]) => [...previous, value];

function load(opts: { configFile: string[]; configDir: string[] }): LoadResult {
  try {
    return loadConfig({ configFiles: opts.configFile, configDirs: opts.configDir });
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`neutron-ts: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
}

const program = new Command('neutron-ts').description('OpenStack Networking (Neutron) API server');
const configOptions = (c: Command) => c
  .option('--config-file <file>', 'configuration file (repeatable; later files override earlier ones)', collect, [])
  .option('--config-dir <dir>', 'directory of *.conf files read after the --config-file ones (repeatable)', collect, []);

configOptions(program.command('server').description('run the API server and its workers (SIGHUP reloads the configuration)'))
  .action(async (opts) => {
    const files = { configFiles: opts.configFile, configDirs: opts.configDir };
    await runServer(load(opts), () => loadConfig(files));
  });

const db = program.command('db').description('database schema management (like neutron-db-manage)');
configOptions(db.command('upgrade').description('create or upgrade the schema to this version').argument('[revision]', '"head" or a migration name, such as 0002_agents', 'head'))
  .action(async (revision, opts) => {
    const { config } = load(opts);
    const log = createLogger(config);
    const database = Database.fromConfig(config, log);
    try {
      if (database.dialect !== 'sqlite') await database.waitUntilReachable(config.database.max_retries, config.database.retry_interval);
      const applied = await upgrade(database, revision);
      log.info({ migrations: applied }, applied.length ? 'database upgraded' : 'database already at head');
      process.stdout.write(applied.length ? `Applied: ${applied.join(', ')}\n` : 'Already at head.\n');
    } finally {
      await database.close();
    }
  });

program.parseAsync(process.argv).catch((e) => {
  process.stderr.write(`neutron-ts: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
