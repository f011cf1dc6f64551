// `qstat -f -F json`: a formatter in the PBS 2024 style and a parser that survives PBS's known JSON bugs.
import { SchedulerOutputInvalid } from '../../lib/errors';
import { joinVariableList, splitVariableList, type QstatAttribute, type QstatRecord } from './model';

export interface QstatJsonMeta {
  /** Unix seconds. */
  timestamp: number;
  pbsVersion: string;
  pbsServer: string;
}

export interface QstatJsonResult {
  timestamp?: number;
  pbsVersion?: string;
  pbsServer?: string;
  /** Empty when the root had no `Jobs` key (no job matched). */
  records: QstatRecord[];
}

/** PBS prints a scalar as a JSON number when it parses as one; only round-trip-safe forms are used here. */
function jsonScalar(value: string): string {
  if (/^-?(0|[1-9]\d*)(\.\d+)?$/.test(value) && String(Number(value)) === value) return value;
  return JSON.stringify(value);
}

type JsonTree = Map<string, string | JsonTree>;

function renderTree(tree: JsonTree, depth: number): string {
  const indent = '    '.repeat(depth + 1);
  const lines = [...tree].map(([key, value]) => {
    const rendered = typeof value === 'string' ? value : renderTree(value, depth + 1);
    return `${indent}${JSON.stringify(key)}:${rendered}`;
  });
  return `{\n${lines.join(',\n')}\n${'    '.repeat(depth)}}`;
}

/** Nested objects for resources (`Resource_List`, `resources_used`, ...) and for Variable_List. */
function jobTree(record: QstatRecord): JsonTree {
  const tree: JsonTree = new Map();
  for (const attr of record.attributes) {
    if (attr.resource !== undefined) {
      let group = tree.get(attr.name);
      if (group === undefined || typeof group === 'string') {
        group = new Map();
        tree.set(attr.name, group);
      }
      group.set(attr.resource, jsonScalar(attr.value));
    } else if (attr.name === 'Variable_List') {
      const variables = splitVariableList(attr.value);
      tree.set(attr.name, new Map(Object.entries(variables).map(([k, v]) => [k, jsonScalar(v)])));
    } else {
      tree.set(attr.name, jsonScalar(attr.value));
    }
  }
  return tree;
}

/** Format like PBS Pro 2024: 4-space indent, `"k":v`, root without `Jobs` when no job matched. */
export function formatQstatJson(jobs: readonly QstatRecord[], meta: QstatJsonMeta): string {
  const root: JsonTree = new Map<string, string | JsonTree>([
    ['timestamp', String(Math.floor(meta.timestamp))],
    ['pbs_version', JSON.stringify(meta.pbsVersion)],
    ['pbs_server', JSON.stringify(meta.pbsServer)],
  ]);
  if (jobs.length > 0) root.set('Jobs', new Map(jobs.map((job) => [job.id, jobTree(job)])));
  return `${renderTree(root, 0)}\n`;
}

/**
 * Repair PBS's known JSON defects (openpbs #1255, PR #2049, balsam #324): invalid escapes such as `\'`
 * and `\,` lose the backslash, raw control characters in strings are escaped, and numbers with leading
 * zeros (`"foo":005`) become strings.
 */
export function sanitizeQstatJson(text: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === '\\') {
        const next = text[i + 1] ?? '';
        if ('"\\/bfnrtu'.includes(next) && next !== '') out += ch + next;
        else out += next;
        i++;
      } else if (ch === '"') {
        inString = false;
        out += ch;
      } else if (ch < ' ') {
        out += `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`;
      } else {
        out += ch;
      }
    } else if (ch === '"') {
      inString = true;
      out += ch;
    } else if (/[-0-9]/.test(ch)) {
      const number = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i))?.[0] ?? ch;
      out += /^-?0\d/.test(number) ? JSON.stringify(number) : number;
      i += number.length - 1;
    } else {
      out += ch;
    }
  }
  return out;
}

type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

function isObject(value: JsonValue | undefined): value is { [key: string]: JsonValue } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Every leaf is stringified: qstat's typing of values is version dependent (cJSON, PR #2604). */
function leaf(value: JsonValue): string {
  if (value === null) return '';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function recordFromJson(id: string, job: { [key: string]: JsonValue }): QstatRecord {
  const attributes: QstatAttribute[] = [];
  for (const [name, value] of Object.entries(job)) {
    if (name === 'Variable_List' && isObject(value)) {
      const variables = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, leaf(v)]));
      attributes.push({ name, value: joinVariableList(variables) });
    } else if (isObject(value)) {
      for (const [resource, v] of Object.entries(value)) attributes.push({ name, resource, value: leaf(v) });
    } else {
      attributes.push({ name, value: leaf(value) });
    }
  }
  return { id, attributes };
}

/** Parse `qstat -F json` output; throws SchedulerOutputInvalid (with the raw text) when it is not JSON. */
export function parseQstatJson(text: string): QstatJsonResult {
  let root: JsonValue;
  try {
    root = JSON.parse(text) as JsonValue;
  } catch {
    try {
      root = JSON.parse(sanitizeQstatJson(text)) as JsonValue;
    } catch (error) {
      throw new SchedulerOutputInvalid(`qstat -F json output is not valid JSON: ${String(error)}\n${text}`);
    }
  }
  if (!isObject(root)) throw new SchedulerOutputInvalid(`qstat -F json output is not an object:\n${text}`);
  const jobs = root.Jobs;
  if (jobs !== undefined && !isObject(jobs)) {
    throw new SchedulerOutputInvalid(`qstat -F json "Jobs" is not an object:\n${text}`);
  }
  const records: QstatRecord[] = [];
  for (const [id, job] of Object.entries(jobs ?? {})) {
    if (!isObject(job))
      throw new SchedulerOutputInvalid(`qstat -F json job ${id} is not an object:\n${text}`);
    records.push(recordFromJson(id, job));
  }
  return {
    timestamp: typeof root.timestamp === 'number' ? root.timestamp : undefined,
    pbsVersion: typeof root.pbs_version === 'string' ? root.pbs_version : undefined,
    pbsServer: typeof root.pbs_server === 'string' ? root.pbs_server : undefined,
    records,
  };
}
