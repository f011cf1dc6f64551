// The job model's pure helpers: monotonic state, exec_host, Variable_List escaping.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  firstExecHost,
  jobFromRecord,
  joinVariableList,
  mergeJobState,
  splitVariableList,
} from '../../../src/scheduler/pbs/model';

describe('mergeJobState', () => {
  it('moves forward Q < R < E < F and never backward', () => {
    assert.equal(mergeJobState(undefined, 'Q'), 'Q');
    assert.equal(mergeJobState('Q', 'R'), 'R');
    assert.equal(mergeJobState('R', 'Q'), 'R');
    assert.equal(mergeJobState('E', 'R'), 'E');
    assert.equal(mergeJobState('R', 'F'), 'F');
    assert.equal(mergeJobState('F', 'E'), 'F');
    assert.equal(mergeJobState('H', 'Q'), 'Q');
  });
});

describe('firstExecHost', () => {
  it('takes the mother-superior host', () => {
    assert.equal(firstExecHost('hopper-46/0*64+hopper-47/0*64'), 'hopper-46');
    assert.equal(firstExecHost('pbs/0'), 'pbs');
    assert.equal(firstExecHost(''), undefined);
    assert.equal(firstExecHost(undefined), undefined);
  });
});

describe('Variable_List', () => {
  it('splits on unescaped commas and at the first =', () => {
    assert.deepEqual(splitVariableList('A=1,B=x\\,y,C=a=b,D'), { A: '1', B: 'x,y', C: 'a=b', D: '' });
    assert.equal(joinVariableList({ A: '1', B: 'x,y' }), 'A=1,B=x\\,y');
  });
});

describe('jobFromRecord', () => {
  it('rejects records without a known job_state', () => {
    assert.equal(jobFromRecord({ id: '1.s', attributes: [{ name: 'job_state', value: 'Z' }] }), undefined);
    assert.equal(jobFromRecord({ id: '1.s', attributes: [] }), undefined);
  });

  it('reads a negative Exit_status', () => {
    const job = jobFromRecord({
      id: '1.s',
      attributes: [
        { name: 'job_state', value: 'F' },
        { name: 'Exit_status', value: '-29' },
      ],
    });
    assert.equal(job?.exitStatus, -29);
  });
});
