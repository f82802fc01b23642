/**
 * What a request costs outside neutron-ts, sampled around each measured run of the production
 * profile: the CPU of the database server, of RabbitMQ and of Keystone (their processes found by
 * name, so that anything else using those servers counts too: run on a quiet machine), and the
 * database's fsyncs (MariaDB's Innodb_data_fsyncs, PostgreSQL's WAL syncs) and, on MariaDB,
 * row-lock waits.
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { DbKind } from './server.js';
import { DB_SERVERS } from './server.js';

const TICKS_PER_SECOND = 100;
const PROCESSES = {
  database: { mysql: ['mariadbd', 'mysqld'], postgresql: ['postgres'] },
  broker: ['beam.smp'],
  keystone: ['uwsgi'],
};

export interface SideCounters {
  /** CPU seconds used so far by the processes of each kind */
  cpu: { database: number; broker: number; keystone: number };
  fsyncs: number;
  /** MariaDB's Innodb_row_lock_time; null on PostgreSQL */
  lockWaitMs: number | null;
}

export interface SidePerOp {
  databaseCpuMs: number;
  brokerCpuMs: number;
  keystoneCpuMs: number;
  fsyncs: number;
  lockWaitMs: number | null;
}

export class SideCosts {
  private constructor(private readonly kind: Exclude<DbKind, 'sqlite'>, private readonly query: (sql: string) => Promise<Array<Record<string, unknown>>>, readonly close: () => Promise<void>) {}

  static async open(kind: Exclude<DbKind, 'sqlite'>, server?: string): Promise<SideCosts> {
    const url = new URL(server ?? DB_SERVERS[kind]);
    if (kind === 'postgresql') {
      const { default: pg } = await import('pg');
      const c = new pg.Client({ connectionString: url.toString() });
      await c.connect();
      return new SideCosts(kind, async (sql) => (await c.query(sql)).rows, () => c.end());
    }
    const { default: mysql } = await import('mysql2/promise');
    const c = await mysql.createConnection({
      host: url.hostname, port: Number(url.port || 3306),
      user: decodeURIComponent(url.username || 'root'), password: decodeURIComponent(url.password),
    });
    return new SideCosts(kind, async (sql) => (await c.query(sql))[0] as Array<Record<string, unknown>>, () => c.end());
  }

  async sample(): Promise<SideCounters> {
    const cpu = cpuByName();
    const seconds = (names: string[]) => names.reduce((s, n) => s + (cpu.get(n) ?? 0), 0);
    let fsyncs: number;
    let lockWaitMs: number | null = null;
    if (this.kind === 'postgresql') {
      fsyncs = Number((await this.query('select wal_sync from pg_stat_wal'))[0]?.wal_sync ?? 0);
    } else {
      // MariaDB 10.11 counts the redo log's fsyncs with the data files' (no Innodb_os_log_fsyncs)
      const status = new Map((await this.query("show global status where Variable_name in ('Innodb_data_fsyncs', 'Innodb_row_lock_time')"))
        .map((r) => [r.Variable_name as string, Number(r.Value)]));
      fsyncs = status.get('Innodb_data_fsyncs') ?? 0;
      lockWaitMs = status.get('Innodb_row_lock_time') ?? null;
    }
    return {
      cpu: { database: seconds(PROCESSES.database[this.kind]), broker: seconds(PROCESSES.broker), keystone: seconds(PROCESSES.keystone) },
      fsyncs, lockWaitMs,
    };
  }
}

export function sidePerOp(before: SideCounters, after: SideCounters, ops: number): SidePerOp {
  const ms = (k: keyof SideCounters['cpu']) => (1000 * (after.cpu[k] - before.cpu[k])) / ops;
  return {
    databaseCpuMs: ms('database'), brokerCpuMs: ms('broker'), keystoneCpuMs: ms('keystone'),
    fsyncs: (after.fsyncs - before.fsyncs) / ops,
    lockWaitMs: after.lockWaitMs === null || before.lockWaitMs === null ? null : (after.lockWaitMs - before.lockWaitMs) / ops,
  };
}

/** CPU seconds (user + system) of the running processes, summed by command name. */
function cpuByName(): Map<string, number> {
  const sums = new Map<string, number>();
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue; // exited
    }
    const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // after the name: state is field 3, utime 14 and stime 15 (proc(5))
    const ticks = Number(fields[11]) + Number(fields[12]);
    sums.set(name, (sums.get(name) ?? 0) + ticks / TICKS_PER_SECOND);
  }
  return sums;
}
