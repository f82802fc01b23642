import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mysqlTls, parseConnectionUrl, postgresTls, redact } from '../../src/db/connection.js';
import { isConnectionError, isRetriable } from '../../src/db/database.js';

describe('[database] connection URLs as operators write them', () => {
  test('mysql+pymysql with charset and TLS parameters', () => {
    const u = parseConnectionUrl('mysql+pymysql://neutron:s3cr%40t@db.example.org:3307/neutron?charset=utf8&ssl_ca=/etc/ssl/ca.pem');
    assert.deepEqual(u, {
      dialect: 'mysql', host: 'db.example.org', port: 3307, user: 'neutron', password: 's3cr@t', database: 'neutron',
      params: { charset: 'utf8', ssl_ca: '/etc/ssl/ca.pem' },
    });
  });

  test('mysql:// and mariadb:// without port or password', () => {
    assert.deepEqual(parseConnectionUrl('mysql://root@127.0.0.1/neutron'), {
      dialect: 'mysql', host: '127.0.0.1', port: undefined, user: 'root', password: undefined, database: 'neutron', params: {},
    });
    assert.equal(parseConnectionUrl('mariadb://u:p@h/db').dialect, 'mysql');
  });

  test('a password with an unescaped @ or : still parses', () => {
    const u = parseConnectionUrl('postgresql://neutron:p@ss:word@10.0.0.5/neutron');
    assert.equal(u.user, 'neutron');
    assert.equal(u.password, 'p@ss:word');
    assert.equal(u.host, '10.0.0.5');
  });

  test('postgresql and postgresql+psycopg2 with sslmode, IPv6 host', () => {
    const u = parseConnectionUrl('postgresql+psycopg2://neutron:pw@[::1]:5433/neutron?sslmode=verify-full&sslrootcert=/ca.pem');
    assert.equal(u.dialect, 'postgres');
    assert.equal(u.host, '::1');
    assert.equal(u.port, 5433);
    assert.deepEqual(u.params, { sslmode: 'verify-full', sslrootcert: '/ca.pem' });
    assert.equal(parseConnectionUrl('postgresql://h/db').dialect, 'postgres');
  });

  test('connection_parameters are appended to the query string', () => {
    const u = parseConnectionUrl('mysql+pymysql://u:p@h/db?charset=utf8', 'ssl_ca=/ca.pem&ssl_check_hostname=false');
    assert.deepEqual(u.params, { charset: 'utf8', ssl_ca: '/ca.pem', ssl_check_hostname: 'false' });
  });

  test("sqlite: SQLAlchemy's relative and absolute forms, and memory", () => {
    assert.equal(parseConnectionUrl('sqlite:////var/lib/neutron/neutron.db').file, '/var/lib/neutron/neutron.db');
    assert.equal(parseConnectionUrl('sqlite:///neutron.db').file, `${process.cwd()}/neutron.db`);
    assert.equal(parseConnectionUrl('sqlite://').file, ':memory:');
  });

  test('unknown dialects and garbage are refused, without echoing the password', () => {
    assert.throws(() => parseConnectionUrl('oracle://u:hunter2@h/db'), (e: Error) => /oracle/.test(e.message) && !e.message.includes('hunter2'));
    assert.throws(() => parseConnectionUrl('not a url'), /Invalid database connection URL/);
    assert.equal(redact('mysql+pymysql://neutron:hunter2@h/db'), 'mysql+pymysql://neutron:***@h/db');
  });
});

describe('TLS parameters are passed to the drivers', () => {
  const dir = mkdtempSync(join(tmpdir(), 'neutron-ts-tls-'));
  const ca = join(dir, 'ca.pem');
  writeFileSync(ca, 'CA');

  test("PostgreSQL: libpq's sslmode", () => {
    assert.equal(postgresTls({}), false);
    assert.equal(postgresTls({ sslmode: 'disable' }), false);
    assert.equal(postgresTls({ sslmode: 'prefer' }), false);
    assert.deepEqual(postgresTls({ sslmode: 'require' }), { ca: undefined, cert: undefined, key: undefined, rejectUnauthorized: false });
    const verifyCa = postgresTls({ sslmode: 'verify-ca', sslrootcert: ca }) as any;
    assert.equal(String(verifyCa.ca), 'CA');
    assert.equal(verifyCa.rejectUnauthorized, true);
    assert.equal(verifyCa.checkServerIdentity(), undefined, 'verify-ca does not check the host name');
    const full = postgresTls({ sslmode: 'verify-full', sslrootcert: ca }) as any;
    assert.equal(full.rejectUnauthorized, true);
    assert.equal(full.checkServerIdentity, undefined);
    assert.equal((postgresTls({ sslrootcert: ca }) as any).rejectUnauthorized, true, 'a root certificate alone means verify-full');
    assert.throws(() => postgresTls({ sslmode: 'sometimes' }), /sslmode/);
  });

  test("MariaDB: PyMySQL's ssl_* parameters", () => {
    assert.equal(mysqlTls({ charset: 'utf8' }), undefined);
    const on = mysqlTls({ ssl_ca: ca }) as any;
    assert.equal(String(on.ca), 'CA');
    assert.equal(on.rejectUnauthorized, true);
    assert.equal(on.checkServerIdentity, undefined);
    const lax = mysqlTls({ ssl_ca: ca, ssl_check_hostname: 'false', ssl_verify_cert: 'false' }) as any;
    assert.equal(lax.rejectUnauthorized, false);
    assert.equal(lax.checkServerIdentity(), undefined);
  });
});

describe('error classification', () => {
  test('races are retried: deadlocks, serialization failures, duplicate and foreign keys, on every dialect', () => {
    for (const e of [
      { code: '40001' }, { code: '40P01' }, { code: '23505' }, { code: '23503' },
      { errno: 1213 }, { errno: 1205 }, { errno: 1062 }, { errno: 1452 },
      { code: 'SQLITE_BUSY' }, { code: 'SQLITE_CONSTRAINT_PRIMARYKEY' },
    ]) assert.ok(isRetriable(e), JSON.stringify(e));
    for (const e of [{ code: '42P01' }, { errno: 1146 }, { code: 'SQLITE_ERROR' }, new Error('boom')]) assert.ok(!isRetriable(e));
  });

  test('an unreachable database is a connection error', () => {
    for (const e of [
      { code: 'ECONNREFUSED' }, { code: 'PROTOCOL_CONNECTION_LOST', fatal: true }, { code: '57P01' }, { code: '53300' },
      { errno: 2013 }, new Error('Connection terminated unexpectedly'), new AggregateError([{ code: 'ECONNREFUSED' }]),
    ]) assert.ok(isConnectionError(e), String((e as any).code ?? (e as any).message));
    assert.ok(!isConnectionError({ code: '23505' }));
  });
});
