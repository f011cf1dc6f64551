// The PBS job model: ordered qstat attributes as printed, plus the typed fields the orchestrator reads.

/** One `qstat -f` line: `name[.resource] = value`, value as printed (Variable_List keeps its `\,`). */
export interface QstatAttribute {
  name: string;
  resource?: string;
  value: string;
}

/** One job exactly as qstat lists it, attributes in server order (what the formatters print). */
export interface QstatRecord {
  id: string;
  attributes: QstatAttribute[];
}

/** PBS job_state letters (`qstat.1B`). F and M appear only with `qstat -x`. */
export type JobState = 'B' | 'E' | 'F' | 'H' | 'M' | 'Q' | 'R' | 'S' | 'T' | 'U' | 'W' | 'X';

const JOB_STATES: readonly string[] = ['B', 'E', 'F', 'H', 'M', 'Q', 'R', 'S', 'T', 'U', 'W', 'X'];

export interface PbsJobTimes {
  ctime?: string;
  qtime?: string;
  etime?: string;
  stime?: string;
  mtime?: string;
  obittime?: string;
}

export interface PbsJob extends QstatRecord {
  name: string;
  /** `user@host`, as in Job_Owner. */
  owner: string;
  state: JobState;
  queue: string;
  server?: string;
  /** e.g. `hopper-46/0*64`; absent until the job runs. */
  execHost?: string;
  execVnode?: string;
  /** Absent while running, and possibly on F jobs deleted before running. */
  exitStatus?: number;
  comment?: string;
  substate?: number;
  /** Variable_List, split on unescaped commas, `\,` decoded. */
  variables: Record<string, string>;
  resourceList: Record<string, string>;
  resourcesUsed: Record<string, string>;
  /** ctime(3) strings as qstat prints them. */
  times: PbsJobTimes;
}

/** Progress rank: a job only moves forward (ERT's rule); waiting states share Q's rank. */
export function jobStateRank(state: JobState): number {
  switch (state) {
    case 'R':
    case 'S':
    case 'U':
    case 'B':
      return 1;
    case 'E':
      return 2;
    case 'F':
    case 'X':
      return 3;
    default:
      return 0; // Q H W T M
  }
}

/** Merge a fresh observation into the known state, never going backward (a stale poll cannot undo R). */
export function mergeJobState(known: JobState | undefined, observed: JobState): JobState {
  if (known === undefined) return observed;
  return jobStateRank(observed) >= jobStateRank(known) ? observed : known;
}

export function isJobState(letter: string): letter is JobState {
  return JOB_STATES.includes(letter);
}

/** The mother-superior host: text before the first `/` of the first `+` segment. */
export function firstExecHost(execHost: string | undefined): string | undefined {
  if (!execHost) return undefined;
  const host = execHost.split('+')[0].split('/')[0].trim();
  return host === '' ? undefined : host;
}

/** Split a Variable_List value on unescaped commas; `\,` in a value is a literal comma. */
export function splitVariableList(text: string): Record<string, string> {
  const variables: Record<string, string> = {};
  const entries: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '\\' && text[i + 1] === ',') {
      current += ',';
      i++;
    } else if (ch === ',') {
      entries.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  entries.push(current);
  for (const entry of entries) {
    if (entry === '') continue;
    const eq = entry.indexOf('=');
    if (eq < 0) variables[entry] = '';
    else variables[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return variables;
}

/** Inverse of splitVariableList: the text form qstat prints, commas in values escaped. */
export function joinVariableList(variables: Record<string, string>): string {
  return Object.entries(variables)
    .map(([name, value]) => `${name}=${value.replace(/,/g, '\\,')}`)
    .join(',');
}

const TIME_NAMES = ['ctime', 'qtime', 'etime', 'stime', 'mtime', 'obittime'] as const;

/** Build the typed job from a record; returns undefined when job_state is missing or unknown. */
export function jobFromRecord(record: QstatRecord): PbsJob | undefined {
  const scalars = new Map<string, string>();
  const resourceList: Record<string, string> = {};
  const resourcesUsed: Record<string, string> = {};
  for (const attr of record.attributes) {
    if (attr.resource === undefined) scalars.set(attr.name, attr.value);
    else if (attr.name === 'Resource_List') resourceList[attr.resource] = attr.value;
    else if (attr.name === 'resources_used') resourcesUsed[attr.resource] = attr.value;
  }
  const state = scalars.get('job_state') ?? '';
  if (!isJobState(state)) return undefined;
  const times: PbsJobTimes = {};
  for (const name of TIME_NAMES) {
    const value = scalars.get(name);
    if (value !== undefined) times[name] = value;
  }
  const exitText = scalars.get('Exit_status');
  const substateText = scalars.get('substate');
  return {
    id: record.id,
    attributes: record.attributes,
    name: scalars.get('Job_Name') ?? '',
    owner: scalars.get('Job_Owner') ?? '',
    state,
    queue: scalars.get('queue') ?? '',
    server: scalars.get('server'),
    execHost: scalars.get('exec_host'),
    execVnode: scalars.get('exec_vnode'),
    exitStatus: exitText !== undefined && /^-?\d+$/.test(exitText) ? Number(exitText) : undefined,
    comment: scalars.get('comment'),
    substate: substateText !== undefined && /^\d+$/.test(substateText) ? Number(substateText) : undefined,
    variables: splitVariableList(scalars.get('Variable_List') ?? ''),
    resourceList,
    resourcesUsed,
    times,
  };
}
