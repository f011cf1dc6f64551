// qstat -F json: PBS 2024 formatting, and parsing of real output including PBS's invalid JSON.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SchedulerOutputInvalid } from '../../../src/lib/errors';
import { jobFromRecord } from '../../../src/scheduler/pbs/model';
import { formatQstatJson, parseQstatJson } from '../../../src/scheduler/pbs/qstat-json';
import { parseQstatF } from '../../../src/scheduler/pbs/qstat-text';
import { BUILDTEST_JOB_JSON, CONSTRUCTED_QSTAT_F, PARSL_NO_JOBS_JSON } from './fixtures';

const META = { timestamp: 1752246824, pbsVersion: '2024.1.2.20241017100211', pbsServer: 'pbs-server' };

describe('formatQstatJson', () => {
  it('prints the root without Jobs exactly like PBS 2024 when no job matched', () => {
    const text = formatQstatJson([], { ...META, pbsServer: 'polaris-pbs-01.hsn.cm.polaris.alcf.anl.gov' });
    assert.equal(text, PARSL_NO_JOBS_JSON);
  });

  it('nests resources and variables, types numbers, keeps True/False as strings', () => {
    const text = formatQstatJson(parseQstatF(CONSTRUCTED_QSTAT_F), META);
    const lines = text.split('\n');
    assert.equal(lines[4], '    "Jobs":{');
    assert.equal(lines[5], '        "1234.pbs-server":{');
    assert.equal(lines[6], '            "Job_Name":"vllm-bench",');
    assert.equal(lines[8], '            "resources_used":{');
    assert.equal(lines[9], '                "cpupercent":312,');
    assert.ok(lines.includes('            "Rerunable":"False",'));
    assert.ok(lines.includes('            "Priority":0,'));
    assert.ok(lines.includes('                "PORT":8000,'));
    assert.ok(lines.includes('                "VLLM_ARGS":"--tensor-parallel-size 8,--max-model-len 8192",'));
    assert.ok(lines.includes('                "walltime":"02:00:00"'));
    assert.equal(lines.at(-1), '');
    assert.equal(lines.at(-2), '}');
    const parsed = JSON.parse(text) as { Jobs: Record<string, { Resource_List: Record<string, unknown> }> };
    assert.equal(parsed.Jobs['1234.pbs-server'].Resource_List.ngpus, 8);
  });

  it('keeps numbers that would not round-trip as strings (005, 1.50)', () => {
    const text = formatQstatJson(
      [{ id: '1.s', attributes: [{ name: 'Variable_List', value: 'A=005,B=1.50,C=-29' }] }],
      META,
    );
    assert.match(text, /"A":"005",\n\s+"B":"1.50",\n\s+"C":-29\n/);
  });
});

describe('parseQstatJson', () => {
  it('round-trips a formatted job to the same attributes', () => {
    const records = parseQstatF(CONSTRUCTED_QSTAT_F);
    const parsed = parseQstatJson(formatQstatJson(records, META));
    assert.deepEqual(parsed.records, records);
    assert.equal(parsed.pbsServer, 'pbs-server');
  });

  it('reads a real finished job and stringifies every leaf', () => {
    const { records } = parseQstatJson(BUILDTEST_JOB_JSON);
    const job = jobFromRecord(records[0]);
    assert.equal(job?.id, '40.pbs');
    assert.equal(job?.state, 'F');
    assert.equal(job?.exitStatus, 0);
    assert.equal(job?.execHost, 'pbs/0');
    assert.equal(job?.resourceList.ncpus, '1');
    assert.equal(job?.resourcesUsed.cpupercent, '0');
    assert.equal(job?.variables.PBS_O_HOST, 'pbs');
    assert.equal(job?.times.stime, 'Wed Mar 17 20:36:48 2021');
  });

  it('reads a root without Jobs as no records', () => {
    const parsed = parseQstatJson(PARSL_NO_JOBS_JSON);
    assert.deepEqual(parsed.records, []);
    assert.equal(parsed.timestamp, 1752246824);
  });

  it("survives the known PBS JSON bugs: \\, and \\' escapes and leading-zero numbers", () => {
    const broken =
      '{\n    "timestamp":1,\n    "Jobs":{\n        "7.s":{\n            "job_state":"R",\n' +
      '            "Variable_List":{\n                "foo":005,\n                "ARGS":"a\\,b",\n' +
      '                "Q":"it\\\'s",\n                "N":-3\n            }\n        }\n    }\n}\n';
    assert.throws(() => JSON.parse(broken));
    const job = jobFromRecord(parseQstatJson(broken).records[0]);
    assert.deepEqual(job?.variables, { foo: '005', ARGS: 'a,b', Q: "it's", N: '-3' });
  });

  it('throws SchedulerOutputInvalid carrying the raw text when it is not JSON', () => {
    const garbage = 'Job Id: 1.s\n    job_state = R\n';
    assert.throws(
      () => parseQstatJson(garbage),
      (error: unknown) => error instanceof SchedulerOutputInvalid && error.message.includes('job_state = R'),
    );
    assert.throws(() => parseQstatJson('[1,2]'), SchedulerOutputInvalid);
    assert.throws(() => parseQstatJson('{"Jobs":{"1.s":3}}'), SchedulerOutputInvalid);
  });
});
