// The simulated commands' exact output: errors and exit codes, JSON root, table, qselect, text re-parse.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { formatQstatF, parseQstatF } from '../../../src/scheduler/pbs/qstat-text';
import { parseQstatJson } from '../../../src/scheduler/pbs/qstat-json';
import { FAST, startTestSim, waitForState, type TestSim } from './helpers';

describe('simulated PBS commands', () => {
  let t: TestSim;
  let running: string;
  let finished: string;
  before(async () => {
    t = await startTestSim();
    running = (await t.shell.exec(`qsub -N sweep-exp-1 -v ${FAST}`, { stdin: 'sleep 60\n' })).stdout.trim();
    finished = (await t.shell.exec(`qsub -N sweep-exp-2 -v ${FAST}`, { stdin: 'true\n' })).stdout.trim();
    await Promise.all([waitForState(t.shell, running, 'R'), waitForState(t.shell, finished, 'F')]);
  });
  after(async () => {
    await t.close();
  });

  it('qstat: unknown ids give 153, the exact message, and a JSON root without Jobs', async () => {
    const text = await t.shell.exec('qstat -f 99999');
    assert.deepEqual(text, { stdout: '', stderr: 'qstat: Unknown Job Id 99999.pbs-sim\n', code: 153 });
    const json = await t.shell.exec('qstat -x -f -F json 99999.pbs-sim');
    assert.equal(json.code, 153);
    assert.match(
      json.stdout,
      /^\{\n {4}"timestamp":\d+,\n {4}"pbs_version":"[^"]+",\n {4}"pbs_server":"pbs-sim"\n\}\n$/,
    );
    assert.deepEqual(parseQstatJson(json.stdout).records, []);
  });

  it('qstat: a finished job without -x gives 35; several ids print the found ones', async () => {
    const result = await t.shell.exec(`qstat -f ${finished}`);
    assert.equal(result.code, 35);
    assert.equal(
      result.stderr,
      `qstat: ${finished} Job has finished, use -x or -H to obtain historical job information\n`,
    );
    const mixed = await t.shell.exec(`qstat -x -f -F json ${running} 99999 ${finished}`);
    assert.equal(mixed.code, 153);
    assert.deepEqual(
      parseQstatJson(mixed.stdout).records.map((r) => r.id),
      [running, finished],
    );
  });

  it('qstat -f text re-parses with the adapter parser and re-formats to the same bytes', async () => {
    const result = await t.shell.exec(`qstat -x -f ${running} ${finished}`);
    assert.equal(result.code, 0);
    assert.ok(result.stdout.includes('\n\t'), 'long values are wrapped');
    const records = parseQstatF(result.stdout);
    assert.deepEqual(
      records.map((r) => r.id),
      [running, finished],
    );
    assert.equal(formatQstatF(records), result.stdout);
    const exit = records[1].attributes.find((a) => a.name === 'Exit_status');
    assert.equal(exit?.value, '0');
  });

  it('qstat without -f prints the default table', async () => {
    const result = await t.shell.exec('qstat');
    const lines = result.stdout.split('\n');
    assert.equal(lines[0], 'Job id            Name             User              Time Use S Queue');
    assert.equal(lines[1], '----------------  ---------------- ----------------  -------- - -----');
    assert.equal(
      lines[2],
      `${running.padEnd(17)} sweep-exp-1      alice             00:00:00 R gpu             `,
    );
    assert.equal(lines.length, 4, 'finished jobs are hidden without -x');
  });

  it('qselect finds jobs by name, state and history', async () => {
    assert.deepEqual(await t.shell.exec('qselect -N sweep-exp-1'), {
      stdout: `${running}\n`,
      stderr: '',
      code: 0,
    });
    assert.equal((await t.shell.exec('qselect -N sweep-exp-2')).stdout, '');
    assert.equal((await t.shell.exec('qselect -N sweep-exp-2 -x')).stdout, `${finished}\n`);
    assert.equal((await t.shell.exec('qselect -u alice -s R')).stdout, `${running}\n`);
    assert.equal((await t.shell.exec('qselect -u bob')).stdout, '');
  });

  it('qdel: unknown 153, finished 35, no output on success', async () => {
    assert.deepEqual(await t.shell.exec('qdel 99999.pbs-sim'), {
      stdout: '',
      stderr: 'qdel: Unknown Job Id 99999.pbs-sim\n',
      code: 153,
    });
    assert.deepEqual(await t.shell.exec(`qdel ${finished}`), {
      stdout: '',
      stderr: `qdel: Job has finished ${finished}\n`,
      code: 35,
    });
  });

  it('qsub: rejects like OpenPBS', async () => {
    const submit = (args: string) => t.shell.exec(`qsub ${args}`, { stdin: 'true\n' });
    const badName = await submit("-N 'bad name!'");
    assert.equal(badName.code, 2);
    assert.equal(badName.stderr.split('\n')[0], 'qsub: illegal -N value');
    assert.deepEqual(await submit('-q nope'), { stdout: '', stderr: 'qsub: Unknown queue\n', code: 170 });
    const limits = {
      stdout: '',
      stderr: 'qsub: Job violates queue and/or server resource limits\n',
      code: 188,
    };
    assert.deepEqual(await submit('-l select=1:ncpus=8:ngpus=9'), limits);
    assert.deepEqual(await submit('-l walltime=100:00:00'), limits);
    assert.deepEqual(await submit('-v VSWEEP_SURELY_UNSET_VAR'), {
      stdout: '',
      stderr: 'qsub: cannot send environment with the job\n',
      code: 1,
    });
    assert.equal((await t.shell.exec('qselect')).stdout.split('\n').length, 2, 'nothing was queued');
  });

  it('qsub: -v takes quoted commas and named environment variables; a script file is read', async () => {
    const script = `${t.workDir}/job.sh`;
    await t.shell.exec(`printf 'sleep 60\\n' > ${script}`);
    const result = await t.shell.exec(`FROM_ENV=yes qsub -v "${FAST},A='x,y',FROM_ENV" ${script}`);
    assert.equal(result.code, 0, result.stderr);
    const id = result.stdout.trim();
    const job = t.sim.jobs().find((j) => j.id === id);
    assert.equal(job?.name, 'job.sh');
    assert.equal(job?.variables.A, 'x,y');
    assert.equal(job?.variables.FROM_ENV, 'yes');
    const text = await t.shell.exec(`qstat -f ${id}`);
    assert.ok(text.stdout.replace(/\n\t/g, '').includes(',A=x\\,y,FROM_ENV=yes,'));
    assert.equal((await t.shell.exec(`qdel ${id}`)).code, 0);
  });
});
