// Command-line parsing for the simulated PBS commands: getopt, qsub's -l and -v lists, select chunks.

export type GetoptResult =
  { ok: true; options: [string, string][]; operands: string[] } | { ok: false; error: string };

/**
 * POSIX getopt: `withValue` letters take an argument (`-Nname` or `-N name`), `flags` do not. GNU getopt
 * permutes, so qstat/qdel/qselect accept options after ids; qsub stops at its script operand.
 */
export function getopt(
  argv: readonly string[],
  withValue: string,
  flags: string,
  permute: boolean,
): GetoptResult {
  const options: [string, string][] = [];
  const operands: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i];
    if (word === '--') {
      operands.push(...argv.slice(i + 1));
      break;
    }
    if (!word.startsWith('-') || word === '-') {
      if (!permute) {
        operands.push(...argv.slice(i));
        break;
      }
      operands.push(word);
      continue;
    }
    for (let j = 1; j < word.length; j++) {
      const letter = word[j];
      if (withValue.includes(letter)) {
        let value = word.slice(j + 1);
        if (value === '') {
          if (i + 1 >= argv.length) return { ok: false, error: `option requires an argument -- '${letter}'` };
          value = argv[++i];
        }
        options.push([letter, value]);
        break;
      }
      if (!flags.includes(letter)) return { ok: false, error: `invalid option -- '${letter}'` };
      options.push([letter, '']);
    }
  }
  return { ok: true, options, operands };
}

export const QSUB_WITH_VALUE = 'ACNWaceljkmopqrSuvMP';
export const QSUB_FLAGS = 'hfzIVX';

/** qsub.c comma_token(): commas split unless quoted ('...' or "...") or escaped with a backslash. */
export function splitPbsList(text: string): string[] {
  const items: string[] = [];
  let current = '';
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '\\' && i + 1 < text.length) {
      current += text[++i];
    } else if (quote !== undefined) {
      if (ch === quote) quote = undefined;
      else current += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
    } else if (ch === ',') {
      items.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  items.push(current);
  return items.filter((item) => item !== '');
}

export interface Chunk {
  count: number;
  ncpus: number;
  ngpus: number;
  memKb: number;
  /** The chunk's `res=value` pairs as written (for exec_vnode). */
  resources: [string, string][];
}

const MEM_UNITS_KB: Record<string, number> = {
  b: 1 / 1024,
  w: 8 / 1024,
  kb: 1,
  mb: 1024,
  gb: 1024 ** 2,
  tb: 1024 ** 3,
};

/** PBS size (`500gb`, `4096mb`, bare bytes) in kilobytes; undefined when malformed. */
export function sizeToKb(size: string): number | undefined {
  const match = /^(\d+)(b|w|kb|mb|gb|tb)?$/i.exec(size);
  if (!match) return undefined;
  return Math.ceil(Number(match[1]) * MEM_UNITS_KB[(match[2] ?? 'b').toLowerCase()]);
}

/** `2:ncpus=64:ngpus=8+1:ncpus=4` -> chunks; undefined when malformed. */
export function parseSelect(select: string): Chunk[] | undefined {
  const chunks: Chunk[] = [];
  for (const part of select.split('+')) {
    const fields = part.split(':');
    const count = /^\d+$/.test(fields[0]) ? Number(fields.shift()) : 1;
    const chunk: Chunk = { count, ncpus: 1, ngpus: 0, memKb: 0, resources: [] };
    for (const field of fields) {
      const eq = field.indexOf('=');
      if (eq <= 0) return undefined;
      const [name, value] = [field.slice(0, eq), field.slice(eq + 1)];
      chunk.resources.push([name, value]);
      if (name === 'ncpus' || name === 'ngpus') {
        if (!/^\d+$/.test(value)) return undefined;
        chunk[name] = Number(value);
      } else if (name === 'mem') {
        const kb = sizeToKb(value);
        if (kb === undefined) return undefined;
        chunk.memKb = kb;
      }
    }
    if (count < 1) return undefined;
    chunks.push(chunk);
  }
  return chunks;
}

/** `[[HH:]MM:]SS[.ms]` -> seconds; undefined when malformed. */
export function parseDuration(text: string): number | undefined {
  if (!/^\d+(:\d+){0,2}(\.\d+)?$/.test(text)) return undefined;
  return text.split(':').reduce((acc, part) => acc * 60 + Number(part), 0);
}

export function formatDuration(totalSec: number): string {
  const sec = Math.max(0, Math.floor(totalSec));
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(Math.floor(sec / 3600))}:${pad(Math.floor(sec / 60) % 60)}:${pad(sec % 60)}`;
}
