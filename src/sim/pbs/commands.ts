// qsub, qstat, qdel and qselect of the simulated server: OpenPBS messages and exit codes (reference §1).
import { readFileSync } from 'node:fs';
import { basename, isAbsolute, resolve } from 'node:path';
import { formatQstatJson } from '../../scheduler/pbs/qstat-json';
import { formatQstatF } from '../../scheduler/pbs/qstat-text';
import {
  formatDuration,
  getopt,
  parseDuration,
  parseSelect,
  QSUB_FLAGS,
  QSUB_WITH_VALUE,
  splitPbsList,
  type Chunk,
} from './args';
import type { PbsCluster, SimJob } from './cluster';
import type { SimRequest, SimResponse } from './protocol';
import { formatQstatTable, jobRecord } from './render';

export interface CommandContext {
  cluster: PbsCluster;
  serverName: string;
  user: string;
  loginHost: string;
  queues: readonly string[];
  maxWalltimeSec: number;
  pbsVersion: string;
}

const QSUB_USAGE =
  'usage: qsub [-a date_time] [-A account_string] [-c interval] [-C directive_prefix] [-e path] [-f]\n' +
  '\t[-h ] [-I [-X]] [-j oe|eo] [-J X-Y[:Z]] [-k keep] [-l resource_list] [-m mail_options]\n' +
  '\t[-M user_list] [-N jobname] [-o path] [-p priority] [-P project] [-q queue] [-r y|n]\n' +
  '\t[-S path] [-u user_list] [-W otherattributes=value...] [-v variable_list] [-V ] [-z]\n' +
  '\t[script | -- command [arg1 ...]]\n       qsub --version\n';
/** check_job_name(): isalnum and `-_+.`; PBS_MAXJOBNAME. */
const JOB_NAME = /^[A-Za-z0-9_+.-]+$/;
const MAX_JOB_NAME_CHARS = 230;

const ok = (stdout = ''): SimResponse => ({ stdout, stderr: '', code: 0 });
const fail = (stderr: string, code: number): SimResponse => ({ stdout: '', stderr, code });

/** The name of the first operand of qsub, so the client knows whether to read stdin. */
export function qsubScriptOperand(args: readonly string[]): string | undefined {
  const parsed = getopt(args, QSUB_WITH_VALUE, QSUB_FLAGS, false);
  return parsed.ok ? parsed.operands[0] : undefined;
}

export function qsub(ctx: CommandContext, request: SimRequest): SimResponse {
  const parsed = getopt(request.args, QSUB_WITH_VALUE, QSUB_FLAGS, false);
  if (!parsed.ok) return fail(`qsub: ${parsed.error}\n${QSUB_USAGE}`, 2);
  let name: string | undefined;
  let queue = ctx.queues[0];
  let joinPath = 'n';
  let outputPath: string | undefined;
  let errorPath: string | undefined;
  const resources = new Map<string, string>();
  const variables: [string, string][] = [];
  for (const [letter, value] of parsed.options) {
    if (letter === 'N') {
      if (value.length > MAX_JOB_NAME_CHARS) return fail('qsub: Job name is too long \n', 2);
      if (!JOB_NAME.test(value)) return fail(`qsub: illegal -N value\n${QSUB_USAGE}`, 2);
      name = value;
    } else if (letter === 'q') {
      queue = value;
    } else if (letter === 'j') {
      if (!['oe', 'eo', 'n'].includes(value)) return fail(`qsub: illegal -j value\n${QSUB_USAGE}`, 2);
      joinPath = value;
    } else if (letter === 'o' || letter === 'e') {
      const path = value.replace(/^[^/:]+:/, ''); // drop a `host:` prefix
      const absolute = isAbsolute(path) ? path : resolve(request.cwd, path);
      if (letter === 'o') outputPath = absolute;
      else errorPath = absolute;
    } else if (letter === 'l') {
      for (const item of splitPbsList(value)) {
        const eq = item.indexOf('=');
        if (eq <= 0) return fail(`qsub: illegal -l value\n${QSUB_USAGE}`, 2);
        resources.set(item.slice(0, eq), item.slice(eq + 1));
      }
    } else if (letter === 'v') {
      for (const item of splitPbsList(value)) {
        const eq = item.indexOf('=');
        if (eq > 0) variables.push([item.slice(0, eq), item.slice(eq + 1)]);
        else if (request.env[item] !== undefined) variables.push([item, request.env[item]]);
        else return fail('qsub: cannot send environment with the job\n', 1);
      }
    } else if (letter === 'V') {
      for (const [key, val] of Object.entries(request.env))
        if (/^[A-Za-z_]\w*$/.test(key)) variables.push([key, val]);
    }
  }
  const scriptOperand = parsed.operands[0];
  let script = request.stdin ?? '';
  if (scriptOperand !== undefined) {
    try {
      script = readFileSync(resolve(request.cwd, scriptOperand), 'utf8');
    } catch {
      return fail(`qsub: script file:: No such file or directory\n`, 1);
    }
  }
  if (!ctx.queues.includes(queue)) return fail('qsub: Unknown queue\n', 170);

  const select = resources.get('select') ?? '1:ncpus=1';
  const chunks = parseSelect(select);
  const walltimeText = resources.get('walltime');
  const walltimeSec = walltimeText === undefined ? undefined : parseDuration(walltimeText);
  if (!chunks || (walltimeText !== undefined && walltimeSec === undefined)) {
    return fail('qsub: Illegal attribute or resource value\n', 166);
  }
  const node = ctx.cluster.options.nodes[0];
  const tooBig = chunks.some((c) => c.ncpus > node.ncpus || c.ngpus > node.ngpus || c.memKb > node.memKb);
  const totals = ctx.cluster.totals;
  const sum = (pick: (c: Chunk) => number) => chunks.reduce((acc, c) => acc + c.count * pick(c), 0);
  if (tooBig || sum((c) => c.ngpus) > totals.ngpus || sum((c) => c.ncpus) > totals.ncpus) {
    return fail('qsub: Job violates queue and/or server resource limits\n', 188);
  }
  if (walltimeSec !== undefined && walltimeSec > ctx.maxWalltimeSec) {
    return fail('qsub: Job violates queue and/or server resource limits\n', 188);
  }

  const resourceList = new Map(resources);
  resourceList.set('select', select);
  resourceList.set('ncpus', String(sum((c) => c.ncpus)));
  resourceList.set('nodect', String(sum(() => 1)));
  resourceList.set('place', resources.get('place') ?? 'free');
  if (chunks.some((c) => c.resources.some(([r]) => r === 'ngpus')))
    resourceList.set('ngpus', String(sum((c) => c.ngpus)));
  if (chunks.some((c) => c.resources.some(([r]) => r === 'mem'))) {
    const single = chunks.length === 1 && chunks[0].count === 1;
    const memText = chunks[0].resources.find(([r]) => r === 'mem')?.[1];
    resourceList.set('mem', single && memText ? memText : `${sum((c) => c.memKb)}kb`);
  }
  if (walltimeSec !== undefined) resourceList.set('walltime', formatDuration(walltimeSec));

  const env = request.env;
  const home = env.HOME ?? request.cwd;
  const variableList: [string, string][] = [['PBS_O_HOME', home]];
  if (env.LANG !== undefined) variableList.push(['PBS_O_LANG', env.LANG]);
  variableList.push(['PBS_O_LOGNAME', env.LOGNAME ?? env.USER ?? ctx.user], ['PBS_O_PATH', env.PATH ?? '']);
  if (env.MAIL !== undefined) variableList.push(['PBS_O_MAIL', env.MAIL]);
  variableList.push(
    ['PBS_O_SHELL', env.SHELL ?? '/bin/bash'],
    ['PBS_O_WORKDIR', request.cwd],
    ['PBS_O_SYSTEM', 'Linux'],
  );
  variableList.push(...variables, ['PBS_O_QUEUE', queue], ['PBS_O_HOST', ctx.loginHost]);
  const scale = Number(new Map(variables).get('VSWEEP_TIME_SCALE') ?? '1');

  const job = ctx.cluster.submit({
    name: name ?? (scriptOperand !== undefined ? basename(scriptOperand) : 'STDIN'),
    owner: `${ctx.user}@${ctx.loginHost}`,
    queue,
    chunks,
    resourceList,
    walltimeSec,
    variableList,
    workdir: request.cwd,
    home,
    outputFile: outputPath,
    errorFile: errorPath,
    joinPath,
    submitArguments: request.args.join(' '),
    submitHost: ctx.loginHost,
    script,
    timeScale: Number.isFinite(scale) && scale > 0 ? scale : 1,
  });
  return ok(`${job.id}\n`);
}

export function qstat(ctx: CommandContext, request: SimRequest): SimResponse {
  const parsed = getopt(request.args, 'Fu', 'fxHwaEsn1iGMrpt', true);
  if (!parsed.ok) return fail(`qstat: ${parsed.error}\n`, 2);
  const option = (letter: string) => parsed.options.find(([l]) => l === letter)?.[1];
  const history = option('x') !== undefined || option('H') !== undefined;
  const format = option('F');
  if (format !== undefined && format !== 'json') return fail(`qstat: unsupported format ${format}\n`, 2);
  if (format !== undefined && option('w') !== undefined)
    return fail('qstat: option w cannot be used with -F\n', 2);
  const user = option('u');
  let jobs: SimJob[] = [];
  let stderr = '';
  let code = 0;
  if (parsed.operands.length === 0) {
    jobs = [...ctx.cluster.jobs.values()].filter(
      (job) => (history || job.state !== 'F') && (user === undefined || job.owner.startsWith(`${user}@`)),
    );
  }
  for (const operand of parsed.operands) {
    const { job, fullId } = ctx.cluster.find(operand);
    if (!job) {
      stderr += `qstat: Unknown Job Id ${fullId}\n`;
      code = 153;
    } else if (job.state === 'F' && !history) {
      stderr += `qstat: ${job.id} Job has finished, use -x or -H to obtain historical job information\n`;
      code = 35;
    } else {
      jobs.push(job);
    }
  }
  const now = Date.now();
  let stdout: string;
  if (format === 'json') {
    const meta = { timestamp: now / 1000, pbsVersion: ctx.pbsVersion, pbsServer: ctx.serverName };
    stdout = formatQstatJson(
      jobs.map((job) => jobRecord(job, ctx.serverName, now)),
      meta,
    );
  } else if (option('f') !== undefined) {
    const records = jobs.map((job) => jobRecord(job, ctx.serverName, now));
    stdout = formatQstatF(records, { wide: option('w') !== undefined });
  } else {
    stdout = formatQstatTable(jobs);
  }
  return { stdout, stderr, code };
}

export function qdel(ctx: CommandContext, request: SimRequest): SimResponse {
  const parsed = getopt(request.args, 'W', 'x', true);
  if (!parsed.ok || parsed.operands.length === 0) {
    const error = parsed.ok ? '' : `qdel: ${parsed.error}\n`;
    return fail(
      `${error}usage:\n\tqdel [-W force|suppress_email=X] [-x] job_identifier...\n\tqdel --version\n`,
      2,
    );
  }
  const force = parsed.options.some(([l, v]) => l === 'W' && v === 'force');
  const purge = parsed.options.some(([l]) => l === 'x');
  let stderr = '';
  let code = 0;
  for (const operand of parsed.operands) {
    const { job, fullId } = ctx.cluster.find(operand);
    if (!job) {
      stderr += `qdel: Unknown Job Id ${fullId}\n`;
      code = 153;
      continue;
    }
    if (job.state === 'F' && purge) {
      ctx.cluster.jobs.delete(job.seq);
      continue;
    }
    const outcome = ctx.cluster.delete(job, force);
    if (outcome === 'finished') {
      stderr += `qdel: Job has finished ${job.id}\n`;
      code = 35;
    } else if (outcome === 'wrong-state') {
      stderr += `qdel: Request invalid for state of job ${job.id}\n`;
      code = 168;
    }
  }
  return { stdout: '', stderr, code };
}

export function qselect(ctx: CommandContext, request: SimRequest): SimResponse {
  const parsed = getopt(request.args, 'NusqAlPaWcprth', 'xTJH', true);
  if (!parsed.ok) return fail(`qselect: ${parsed.error}\n`, 2);
  const option = (letter: string) => parsed.options.find(([l]) => l === letter)?.[1];
  const [name, user, states, queue] = [option('N'), option('u'), option('s'), option('q')];
  const history = option('x') !== undefined || option('H') !== undefined;
  const ids = [...ctx.cluster.jobs.values()]
    .filter(
      (job) =>
        (history || job.state !== 'F') &&
        (name === undefined || job.name === name) &&
        (user === undefined || job.owner.startsWith(`${user}@`)) &&
        (states === undefined || states.includes(job.state)) &&
        (queue === undefined || job.queue === queue),
    )
    .map((job) => `${job.id}\n`);
  return ok(ids.join(''));
}
