/**
 * The INI dialect oslo.config reads (oslo_config/iniparser.py):
 * - `[section]` headers; the name is taken verbatim between the brackets;
 * - `key = value` or `key: value`, split at whichever of `=` / `:` comes first;
 * - whole-line comments starting with `#` or `;` (no inline comments: `a = 1 # x` is "1 # x");
 * - an indented line continues the previous value (joined with "\n"); a blank line ends it;
 * - the value is trimmed, and one pair of matching surrounding quotes is removed, as oslo does
 *   (Neutron's own sample files rely on it: `transport_url = 'fake:/'`).
 * Repeated keys are all kept, in file order: the loader decides between "last wins" and
 * "accumulate" from the option's schema.
 */

export interface IniAssignment {
  /** the section name as written in the file */
  section: string;
  key: string;
  value: string;
  /** 1-based line of the key */
  line: number;
}

export interface IniSection {
  name: string;
  line: number;
}

export interface IniFile {
  sections: IniSection[];
  assignments: IniAssignment[];
}

export class IniParseError extends Error {
  constructor(
    readonly reason: string,
    readonly line: number,
    readonly text: string,
    readonly file?: string,
  ) {
    super(`${file ?? '<config>'}, line ${line}: ${reason}: ${JSON.stringify(text)}`);
    this.name = 'IniParseError';
  }
}

export function parseIni(text: string, file?: string): IniFile {
  const sections: IniSection[] = [];
  const assignments: IniAssignment[] = [];
  let section: string | null = null;
  let pending: { key: string; parts: string[]; line: number; text: string } | null = null;

  const fail = (reason: string, line: number, lineText: string): never => {
    throw new IniParseError(reason, line, lineText, file);
  };
  const flush = () => {
    if (!pending) return;
    if (section === null) fail('Section must be started before assignment', pending.line, pending.text);
    assignments.push({ section: section!, key: pending.key, value: pending.parts.join('\n'), line: pending.line });
    pending = null;
  };

  // Python reads the file with universal newlines: \r\n, \r and \n all end a line.
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
  lines.forEach((raw, index) => {
    const lineNo = index + 1;
    const line = raw.trimEnd();
    if (line === '') {
      flush();
      return;
    }
    if (line[0] === ' ' || line[0] === '\t') {
      if (!pending) fail('Unexpected continuation line', lineNo, line);
      pending!.parts.push(line.trimStart());
      return;
    }
    flush();
    if (line[0] === '[') {
      if (!line.endsWith(']')) fail('Invalid section (must end with ])', lineNo, line);
      if (line.length <= 2) fail('Empty section name', lineNo, line);
      section = line.slice(1, -1);
      sections.push({ name: section, line: lineNo });
    } else if (line[0] === '#' || line[0] === ';') {
      // comment
    } else {
      const equal = line.indexOf('=');
      const colon = line.indexOf(':');
      if (equal < 0 && colon < 0) fail("No ':' or '=' found in assignment", lineNo, line);
      const at = colon < 0 || (equal >= 0 && equal < colon) ? equal : colon;
      const key = line.slice(0, at).trim();
      if (!key) fail('Key cannot be empty', lineNo, line);
      pending = { key, parts: [unquote(line.slice(at + 1).trim())], line: lineNo, text: line };
    }
  });
  flush();
  return { sections, assignments };
}

function unquote(value: string): string {
  if (value && (value[0] === '"' || value[0] === "'") && value[0] === value[value.length - 1]) {
    return value.slice(1, -1);
  }
  return value;
}
