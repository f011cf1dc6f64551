import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { csvField, samplesCsv, summaryCsv } from '../../src/report/csv';
import { sweepResult } from '../helpers/sweep-result';

describe('csv export', () => {
  it('quotes per RFC 4180 only when needed', () => {
    assert.equal(csvField('plain'), 'plain');
    assert.equal(csvField('a,b'), '"a,b"');
    assert.equal(csvField('say "hi"'), '"say ""hi"""');
    assert.equal(csvField('two\nlines'), '"two\nlines"');
    assert.equal(csvField(undefined), '');
    assert.equal(csvField(false), 'false');
  });

  it('writes one row per sample with CRLF line ends', () => {
    const csv = samplesCsv(sweepResult({ failB: true }));
    const lines = csv.split('\r\n');
    assert.equal(lines.at(-1), ''); // trailing CRLF
    assert.equal(lines.length - 2, 8); // header + 2 ok rows x 4 samples; failed rows have none
    assert.match(lines[0]!, /^sweep_id,experiment_id,config_key,config,dataset,sample_id,/);
    assert.match(lines[1]!, /^nightly-1,1A,1A-aaaa,EP=on,8k,8k_1,6000,512,,/);
  });

  it('writes one summary row per experiment/dataset, quoting reasons with commas and quotes', () => {
    const csv = summaryCsv(sweepResult({ failB: true }));
    const lines = csv.trimEnd().split('\r\n');
    assert.equal(lines.length, 5);
    assert.ok(
      lines[3]!.includes(',failed,load,"server not ready after 240 s, ""weights"" < 50%",0,0,,,,'),
      lines[3],
    );
    assert.match(lines[1]!, /,ok,,,4,4,10,/);
  });
});
