// qstat -f text: byte-for-byte formatting against OpenPBS prt_attr() output, and parsing of real wraps.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { SchedulerOutputInvalid } from '../../../src/lib/errors';
import { jobFromRecord, type QstatRecord } from '../../../src/scheduler/pbs/model';
import { formatQstatAttribute, formatQstatF, parseQstatF } from '../../../src/scheduler/pbs/qstat-text';
import { CONSTRUCTED_ATTRIBUTES, CONSTRUCTED_QSTAT_F, PALMETTO_QSTAT_XF } from './fixtures';

const REFERENCE_FILE = '/work/shared/reference/constructed_qstat_f.txt';

function constructedRecord(): QstatRecord {
  return {
    id: '1234.pbs-server',
    attributes: CONSTRUCTED_ATTRIBUTES.map(([key, value]) => {
      const dot = key.indexOf('.');
      return dot < 0
        ? { name: key, value }
        : { name: key.slice(0, dot), resource: key.slice(dot + 1), value };
    }),
  };
}

describe('formatQstatF', () => {
  it('reproduces constructed_qstat_f.txt byte for byte', () => {
    assert.equal(formatQstatF([constructedRecord()]), CONSTRUCTED_QSTAT_F);
  });

  it('has a fixture identical to the reference file (when the reference is present)', (t) => {
    if (!existsSync(REFERENCE_FILE)) return t.skip('reference file not on this machine');
    assert.equal(CONSTRUCTED_QSTAT_F, readFileSync(REFERENCE_FILE, 'utf8'));
  });

  // Expected strings: `python3 prt_attr_sim.py`; the atrikut variants match the real Palmetto output.
  it('wraps exec_vnode mid-token like the real Palmetto output', () => {
    const execVnode =
      '(node0088:ncpus=2:mem=1048576kb:ngpus=0:nphis=0)+(node0094:ncpus=2:mem=1048576kb:ngpus=0:nphis=0)+' +
      '(node0094:ncpus=2:mem=1048576kb:ngpus=0:nphis=0)+(node0085:ncpus=2:mem=1048576kb:ngpus=0:nphis=0)';
    assert.equal(
      formatQstatAttribute('exec_vnode', undefined, execVnode),
      '    exec_vnode = (node0088:ncpus=2:mem=1048576kb:ngpus=0:nphis=0)+(node0094:ncp\n' +
        '\tus=2:mem=1048576kb:ngpus=0:nphis=0)+(node0094:ncpus=2:mem=1048576kb:ngp\n' +
        '\tus=0:nphis=0)+(node0085:ncpus=2:mem=1048576kb:ngpus=0:nphis=0)',
    );
    const comment = `Job run at Tue Dec 13 at 14:09 on ${execVnode} and finished`;
    assert.equal(
      formatQstatAttribute('comment', undefined, comment),
      '    comment = Job run at Tue Dec 13 at 14:09 on (node0088:ncpus=2:mem=1048576kb\n' +
        '\t:ngpus=0:nphis=0)+(node0094:ncpus=2:mem=1048576kb:ngpus=0:nphis=0)+(nod\n' +
        '\te0094:ncpus=2:mem=1048576kb:ngpus=0:nphis=0)+(node0085:ncpus=2:mem=1048\n' +
        '\t576kb:ngpus=0:nphis=0) and finished',
    );
  });

  it('wraps Variable_List at commas and inside long tokens', () => {
    const variables =
      'PBS_O_SYSTEM=Linux,PBS_O_SHELL=/bin/bash,PBS_O_HOME=/home/atrikut,PBS_O_LOGNAME=atrikut,' +
      'PBS_O_WORKDIR=/home/atrikut/MPI,PBS_O_LANG=en_US.UTF-8,PBS_O_PATH=/software/examples/:' +
      '/home/atrikut/local/bin:/usr/lib64/qt-3.3/bin:/opt/pbs/default/bin:/opt/gold/bin:/usr/local/bin:/bin:' +
      '/usr/bin:/usr/local/sbin:/usr/sbin:/sbin:/opt/mx/bin:/home/atrikut/bin,' +
      'PBS_O_MAIL=/var/spool/mail/atrikut,PBS_O_QUEUE=c1_workq,PBS_O_HOST=login001.palmetto.clemson.edu';
    assert.equal(
      formatQstatAttribute('Variable_List', undefined, variables),
      '    Variable_List = PBS_O_SYSTEM=Linux,PBS_O_SHELL=/bin/bash,\n' +
        '\tPBS_O_HOME=/home/atrikut,PBS_O_LOGNAME=atrikut,\n' +
        '\tPBS_O_WORKDIR=/home/atrikut/MPI,PBS_O_LANG=en_US.UTF-8,\n' +
        '\tPBS_O_PATH=/software/examples/:/home/atrikut/local/bin:/usr/lib64/qt-3\n' +
        '\t.3/bin:/opt/pbs/default/bin:/opt/gold/bin:/usr/local/bin:/bin:/usr/bin:\n' +
        '\t/usr/local/sbin:/usr/sbin:/sbin:/opt/mx/bin:/home/atrikut/bin,\n' +
        '\tPBS_O_MAIL=/var/spool/mail/atrikut,PBS_O_QUEUE=c1_workq,\n' +
        '\tPBS_O_HOST=login001.palmetto.clemson.edu',
    );
  });

  it('wraps a single long token with the current algorithm', () => {
    assert.equal(
      formatQstatAttribute(
        'Output_Path',
        undefined,
        'login001.palmetto.clemson.edu:/home/username/MPI/pi-mpi.o7600424',
      ),
      '    Output_Path = login001.palmetto.clemson.edu:/home/username/MPI/pi-mpi.o7600\n\t424',
    );
  });

  it('counts the resource name in the column and drops empty tokens like strtok', () => {
    assert.equal(formatQstatAttribute('x', undefined, 'a,,b,'), '    x = a,b');
    assert.equal(
      formatQstatAttribute('Resource_List', 'select', '1:ncpus=64:ngpus=8:mem=500gb'),
      '    Resource_List.select = 1:ncpus=64:ngpus=8:mem=500gb',
    );
    assert.equal(
      formatQstatF([{ id: '1.s', attributes: [{ name: 'comment', value: '' }] }]),
      'Job Id: 1.s\n    comment = \n\n',
    );
  });

  it('prints one unbroken line per attribute in wide mode', () => {
    const wide = formatQstatF([constructedRecord()], { wide: true });
    assert.ok(!wide.includes('\n\t'));
    assert.ok(
      wide.includes(
        '    comment = Job run at Mon Mar 02 at 10:15 on (hopper-46:ncpus=64:ngpus=8:mem=524288000kb)\n',
      ),
    );
  });
});

describe('parseQstatF', () => {
  it('round-trips the constructed job', () => {
    const records = parseQstatF(CONSTRUCTED_QSTAT_F);
    assert.deepEqual(records, [constructedRecord()]);
    assert.equal(formatQstatF(records), CONSTRUCTED_QSTAT_F);
  });

  it('joins real mid-token wraps without inserting spaces', () => {
    const [record] = parseQstatF(`\n${PALMETTO_QSTAT_XF}`);
    const job = jobFromRecord(record);
    assert.ok(job);
    assert.equal(job.id, '7600424.pbs02');
    assert.equal(job.state, 'F');
    assert.equal(job.exitStatus, 0);
    assert.equal(
      job.execVnode,
      '(node0088:ncpus=2:mem=1048576kb:ngpus=0:nphis=0)+(node0094:ncpus=2:mem=1048576kb:ngpus=0:nphis=0)+' +
        '(node0094:ncpus=2:mem=1048576kb:ngpus=0:nphis=0)+(node0085:ncpus=2:mem=1048576kb:ngpus=0:nphis=0)',
    );
    assert.equal(job.execHost, 'node0088/1*2+node0094/1*2+node0094/2*2+node0085/0*2');
    const scalar = (name: string) => record.attributes.find((a) => a.name === name)?.value;
    assert.equal(scalar('Error_Path'), 'login001.palmetto.clemson.edu:/home/atrikut/MPI/pi-mpi.e7600424');
    assert.equal(scalar('Output_Path'), 'login001.palmetto.clemson.edu:/home/atrikut/MPI/pi-mpi.o7600424');
    assert.equal(
      job.variables.PBS_O_PATH,
      '/software/examples/:/home/atrikut/local/bin:/usr/lib64/qt-3.3/bin:/opt/pbs/default/bin:/opt/gold/bin:' +
        '/usr/local/bin:/bin:/usr/bin:/usr/local/sbin:/usr/sbin:/sbin:/opt/mx/bin:/home/atrikut/bin',
    );
    assert.equal(job.resourceList.select, '4:ncpus=2:mem=1gb:interconnect=1g:mpiprocs=2');
    assert.equal(job.resourcesUsed.walltime, '00:02:08');
    assert.match(job.comment ?? '', /\(node0085:ncpus=2:mem=1048576kb:ngpus=0:nphis=0\) and finished$/);
  });

  it('decodes escaped commas in Variable_List values', () => {
    const job = jobFromRecord(parseQstatF(CONSTRUCTED_QSTAT_F)[0]);
    assert.equal(job?.variables.VLLM_ARGS, '--tensor-parallel-size 8,--max-model-len 8192');
    assert.equal(job?.variables.PBS_O_HOST, 'login01.cluster.example');
  });

  it('parses several jobs and an empty output', () => {
    const two = formatQstatF([constructedRecord(), { ...constructedRecord(), id: '1235.pbs-server' }]);
    assert.deepEqual(
      parseQstatF(two).map((r) => r.id),
      ['1234.pbs-server', '1235.pbs-server'],
    );
    assert.deepEqual(parseQstatF(''), []);
  });

  it('fails loudly, with the raw text, on lines it does not understand', () => {
    const garbage = 'Job Id: 1.s\n    job_state = R\nqstat: something odd\n';
    assert.throws(
      () => parseQstatF(garbage),
      (error: unknown) =>
        error instanceof SchedulerOutputInvalid && error.message.includes('qstat: something odd'),
    );
    assert.throws(() => parseQstatF('    job_state = R\n'), SchedulerOutputInvalid);
  });
});
