// `qstat -f` text: a formatter that wraps like OpenPBS prt_attr() and a parser for real, wrapped output.
import { SchedulerOutputInvalid } from '../../lib/errors';
import type { QstatAttribute, QstatRecord } from './model';

/** OpenPBS qstat.c CHAR_LINE_LIMIT: the column past which prt_attr() wraps. */
const CHAR_LINE_LIMIT = 78;

/**
 * One attribute as OpenPBS `prt_attr()` prints it (default, non `-w`). The value is split on commas with
 * strtok (empty tokens vanish); a token that does not fit starts a `\n\t` line and is printed a character
 * at a time, wrapping mid-token. Transcribed from the reference prt_attr_sim.py; keep it literal.
 */
export function formatQstatAttribute(name: string, resource: string | undefined, value: string): string {
  let out = `    ${name}`;
  let column = name.length + 7;
  if (resource !== undefined) {
    column += resource.length + 1;
    out += `.${resource}`;
  }
  out += ' = ';
  const tokens = value.split(',').filter((token) => token !== '');
  let first = true;
  tokens.forEach((token, index) => {
    if (token.length + column < CHAR_LINE_LIMIT) {
      out += token;
      column += token.length;
    } else {
      if (!first) {
        out += '\n\t';
        column = 9;
      }
      for (const ch of token) {
        out += ch;
        column += 1;
        if (column > CHAR_LINE_LIMIT) {
          column = 8;
          out += '\n\t';
        }
      }
    }
    if (index + 1 < tokens.length) {
      first = false;
      out += ',';
    }
  });
  return out;
}

export interface FormatQstatFOptions {
  /** `qstat -f -w`: one unbroken line per attribute. */
  wide?: boolean;
}

/** Jobs as `qstat -f` prints them: `Job Id:` line, 4-space attributes, a blank line after each job. */
export function formatQstatF(jobs: readonly QstatRecord[], options: FormatQstatFOptions = {}): string {
  let out = '';
  for (const job of jobs) {
    out += `Job Id: ${job.id}\n`;
    for (const attr of job.attributes) {
      out += options.wide
        ? `    ${attr.name}${attr.resource === undefined ? '' : `.${attr.resource}`} = ${attr.value}`
        : formatQstatAttribute(attr.name, attr.resource, attr.value);
      out += '\n';
    }
    out += '\n';
  }
  return out;
}

const ATTRIBUTE_LINE = /^ {4}([A-Za-z_][A-Za-z0-9_]*)(?:\.([^ =]+))? = (.*)$/;

/**
 * Parse `qstat -f` text. Every `\n\t` is a wrap inserted by the printer, so it is removed (joining with a
 * space would corrupt mid-token wraps like `ncp\n\tus`). Anything unrecognised fails loudly with the text.
 */
export function parseQstatF(text: string): QstatRecord[] {
  const records: QstatRecord[] = [];
  let current: QstatRecord | undefined;
  const lines = text.replace(/\r?\n\t/g, '').split(/\r?\n/);
  for (const line of lines) {
    if (line.trim() === '') continue;
    if (line.startsWith('Job Id: ')) {
      current = { id: line.slice('Job Id: '.length).trim(), attributes: [] };
      records.push(current);
      continue;
    }
    const match = ATTRIBUTE_LINE.exec(line) ?? /^ {4}([A-Za-z_][A-Za-z0-9_]*)(?:\.([^ =]+))? =$/.exec(line);
    if (!match || !current) {
      throw new SchedulerOutputInvalid(
        `unexpected line in qstat -f output: ${JSON.stringify(line)}\n${text}`,
      );
    }
    const attr: QstatAttribute = { name: match[1], value: match[3] ?? '' };
    if (match[2] !== undefined) attr.resource = match[2];
    current.attributes.push(attr);
  }
  return records;
}
