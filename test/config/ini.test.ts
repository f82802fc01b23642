import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IniParseError, parseIni } from '../../src/config/ini.js';

const values = (text: string) => parseIni(text).assignments.map((a) => [a.section, a.key, a.value, a.line]);

test('sections, both separators, comments and blank lines', () => {
  const text = [
    '# leading comment',
    '[DEFAULT]',
    'bind_port = 9696',
    '; another comment',
    'debug: true',
    '',
    '[database]',
    'connection=mysql://u:p@h/db',
  ].join('\n');
  assert.deepEqual(values(text), [
    ['DEFAULT', 'bind_port', '9696', 3],
    ['DEFAULT', 'debug', 'true', 5],
    ['database', 'connection', 'mysql://u:p@h/db', 8],
  ]);
  assert.deepEqual(parseIni(text).sections, [{ name: 'DEFAULT', line: 2 }, { name: 'database', line: 7 }]);
});

test('the first of "=" and ":" separates key from value', () => {
  assert.deepEqual(values('[s]\nurl = http://x:80/\nmap: a=1\n'), [
    ['s', 'url', 'http://x:80/', 2],
    ['s', 'map', 'a=1', 3],
  ]);
});

test('values are trimmed; no inline comments; one pair of matching quotes is removed (as oslo)', () => {
  assert.deepEqual(
    values(`[s]\na =   spaced   \nb = x # not a comment\nc = 'fake:/'\nd = "a b"\ne = 'x"\nf = "\ng =\n`).map((v) => v[2]),
    ['spaced', 'x # not a comment', 'fake:/', 'a b', `'x"`, '', ''],
  );
});

test('indented lines continue the value; a blank line ends it', () => {
  const text = '[s]\nk = first\n  second\n\tthird\n\nother = 1\n';
  assert.deepEqual(values(text), [
    ['s', 'k', 'first\nsecond\nthird', 2],
    ['s', 'other', '1', 6],
  ]);
});

test('repeated keys and repeated sections are all kept in order', () => {
  const text = '[s]\nm = 1\nm = 2\n[t]\nx = y\n[s]\nm = 3\n';
  assert.deepEqual(values(text).filter((v) => v[1] === 'm').map((v) => v[2]), ['1', '2', '3']);
});

test('section names are kept verbatim (case and spaces)', () => {
  assert.deepEqual(parseIni('[QUOTAS]\n[ spaced ]\n').sections.map((s) => s.name), ['QUOTAS', ' spaced ']);
});

test('CRLF and CR line endings, and a byte order mark', () => {
  assert.deepEqual(values('\uFEFF[s]\r\na = 1\r\nb = 2\rc = 3'), [
    ['s', 'a', '1', 2],
    ['s', 'b', '2', 3],
    ['s', 'c', '3', 4],
  ]);
});

function parseError(text: string): IniParseError {
  try {
    parseIni(text, '/etc/neutron/neutron.conf');
  } catch (err) {
    assert.ok(err instanceof IniParseError);
    return err;
  }
  assert.fail('expected a parse error');
}

test('errors report the line number, the reason and the line', () => {
  const cases: [string, number, RegExp][] = [
    ['[s]\na = 1\njust words\n', 3, /No ':' or '=' found in assignment/],
    ['[s]\n= value\n', 2, /Key cannot be empty/],
    ['[s\n', 1, /Invalid section \(must end with \]\)/],
    ['[DEFAULT] # comment\n', 1, /Invalid section/],
    ['[]\n', 1, /Empty section name/],
    ['[s]\n  indented = 1\n', 2, /Unexpected continuation line/],
    ['# comment\n\nkey = 1\n', 3, /Section must be started before assignment/],
  ];
  for (const [text, line, reason] of cases) {
    const err = parseError(text);
    assert.equal(err.line, line, text);
    assert.match(err.message, reason);
    assert.match(err.message, new RegExp(`/etc/neutron/neutron.conf, line ${line}: `));
  }
});

test('a comment line ends a multi-line value, so indentation after it is an error', () => {
  assert.equal(parseError('[s]\nk = a\n# c\n  b\n').line, 4);
});
