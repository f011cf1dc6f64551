// How the simulated server prints a job: qstat -f attributes in OpenPBS order, ctime(3) times, the table.
import type { QstatAttribute, QstatRecord } from '../../scheduler/pbs/model';
import { joinVariableList } from '../../scheduler/pbs/model';
import { formatDuration } from './args';
import type { SimJob } from './cluster';

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad2 = (n: number) => String(n).padStart(2, '0');

/** ctime(3) without the newline: `Mon Mar  2 10:15:04 2026` (day padded with a space). */
export function ctimeText(date: Date): string {
  const day = String(date.getDate()).padStart(2, ' ');
  const clock = `${pad2(date.getHours())}:${pad2(date.getMinutes())}:${pad2(date.getSeconds())}`;
  return `${DAYS[date.getDay()]} ${MONTHS[date.getMonth()]} ${day} ${clock} ${date.getFullYear()}`;
}

/** req_runjob.c form_attr_comment: `Job run at Mon Mar 02 at 10:15 on <exec_vnode>`. */
export function runComment(date: Date, execVnode: string): string {
  const when = `${DAYS[date.getDay()]} ${MONTHS[date.getMonth()]} ${pad2(date.getDate())}`;
  return `Job run at ${when} at ${pad2(date.getHours())}:${pad2(date.getMinutes())} on ${execVnode}`;
}

/** Simulated seconds the job has run (real seconds divided by its time scale). */
export function usedWalltimeSec(job: SimJob, nowMs: number): number {
  if (!job.stime) return 0;
  const endMs = job.endedAtMs ?? nowMs;
  return (endMs - job.stime.getTime()) / 1000 / job.timeScale;
}

export function jobRecord(job: SimJob, serverName: string, nowMs: number): QstatRecord {
  const attrs: QstatAttribute[] = [];
  const add = (name: string, value: string | number | undefined, resource?: string) => {
    if (value === undefined) return;
    attrs.push(
      resource === undefined ? { name, value: String(value) } : { name, resource, value: String(value) },
    );
  };
  const ran = job.stime !== undefined;
  add('Job_Name', job.name);
  add('Job_Owner', job.owner);
  if (ran) {
    const walltimeSec = usedWalltimeSec(job, nowMs);
    add('resources_used', 0, 'cpupercent');
    add('resources_used', '00:00:00', 'cput');
    add('resources_used', '10240kb', 'mem');
    add('resources_used', job.resourceList.get('ncpus'), 'ncpus');
    add('resources_used', '20480kb', 'vmem');
    add('resources_used', formatDuration(walltimeSec), 'walltime');
  }
  add('job_state', job.state);
  add('queue', job.queue);
  add('server', serverName);
  add('Checkpoint', 'u');
  add('ctime', ctimeText(job.ctime));
  add('Error_Path', job.errorPathAttr);
  add('exec_host', job.execHost);
  add('exec_vnode', job.execVnode);
  add('Hold_Types', 'n');
  add('Join_Path', job.joinPath);
  add('Keep_Files', 'n');
  add('Mail_Points', 'a');
  add('mtime', ctimeText(job.mtime));
  add('Output_Path', job.outputPathAttr);
  add('Priority', 0);
  add('qtime', ctimeText(job.ctime));
  add('Rerunable', 'False');
  for (const [resource, value] of [...job.resourceList].sort(([a], [b]) => a.localeCompare(b))) {
    add('Resource_List', value, resource);
  }
  if (ran) {
    add('stime', ctimeText(job.stime as Date));
    add('session_id', job.sessionId);
    add('jobdir', job.home);
  }
  add('substate', job.substate);
  add('Variable_List', joinVariableList(Object.fromEntries(job.variableList)));
  add('comment', job.comment);
  add('etime', ctimeText(job.ctime));
  add('run_count', job.runCount);
  if (job.state === 'F') {
    if (ran) add('Stageout_status', 1);
    add('Exit_status', job.exitStatus);
  }
  add('Submit_arguments', job.submitArguments);
  if (job.historyTimestampSec !== undefined) add('history_timestamp', job.historyTimestampSec);
  add('project', '_pbs_project_default');
  add('Submit_Host', job.submitHost);
  return { id: job.id, attributes: attrs };
}

/** Default `qstat` table. The id keeps the first label of the server name and is cut at 17 with `*`. */
export function formatQstatTable(jobs: readonly SimJob[]): string {
  if (jobs.length === 0) return '';
  const cut = (text: string, width: number) => (text.length > width ? `${text.slice(0, width - 1)}*` : text);
  let out =
    'Job id            Name             User              Time Use S Queue\n' +
    '----------------  ---------------- ----------------  -------- - -----\n';
  for (const job of jobs) {
    const [seq, server = ''] = job.id.split('.');
    const timeUse = job.stime ? '00:00:00' : '0';
    const user = job.owner.split('@')[0];
    const row = [
      cut(`${seq}.${server}`, 17).padEnd(17),
      cut(job.name, 16).padEnd(16),
      cut(user, 16).padEnd(16),
    ];
    // printf("%-17s %-16s %-16s  %8s %1s %-16s\n") in qstat.c, trailing spaces included.
    out += `${row.join(' ')}  ${timeUse.padStart(8)} ${job.state} ${cut(job.queue, 16).padEnd(16)}\n`;
  }
  return out;
}
