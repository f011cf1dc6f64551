import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SpecInvalid } from '../../src/lib/errors';
import { checkDatasets } from '../../src/spec/check-datasets';
import { loadSpecFile, parseSpec } from '../../src/spec/load';
import { EXAMPLES, exampleSpec } from '../helpers/spec';

function invalid(edit: (raw: Record<string, unknown>) => void): SpecInvalid {
  try {
    exampleSpec('sim-glm46.yaml', edit);
  } catch (err) {
    assert.ok(err instanceof SpecInvalid, `expected SpecInvalid, got ${String(err)}`);
    return err;
  }
  assert.fail('the spec was accepted');
}

type Exp = { id: string; flags: Record<string, unknown>; datasets: string[] };

describe('sweep spec validation', () => {
  it('accepts both shipped examples and applies defaults', () => {
    for (const name of ['sim-glm46.yaml', 'glm46-h200.yaml']) {
      const spec = loadSpecFile(`${EXAMPLES}/${name}`);
      assert.equal(spec.experiments.length, 5);
      assert.equal(spec.server.flags['tensor-parallel-size'], 8);
      assert.equal(spec.timeouts.load.policy, 'adaptive');
      const ds = spec.datasets['8k'];
      assert.ok('path' in ds && ds.path.startsWith('/'), 'dataset paths are resolved to absolute paths');
    }
  });

  it('rejects a flag value of an unknown type, naming the field and the fix', () => {
    const err = invalid((raw) => {
      (raw.experiments as Exp[])[1].flags = { 'max-model-len': [8192, 32768] };
    });
    assert.equal(err.issues[0].path, 'experiments[1].flags.max-model-len');
    assert.match(err.message, /must be a string, number, boolean or null \(got a list\)/);
  });

  it('regression thresholds: defaults, per metric, and an unknown metric named with its path', () => {
    assert.deepEqual(exampleSpec('sim-glm46.yaml').regression, { alpha: 0.05, minChangePct: 5, metrics: {} });
    const tuned = exampleSpec('sim-glm46.yaml', (raw) => {
      raw.regression = { minChangePct: 8, metrics: { ttftSec: 20 } };
    });
    assert.deepEqual(tuned.regression, { alpha: 0.05, minChangePct: 8, metrics: { ttftSec: 20 } });
    const err = invalid((raw) => {
      raw.regression = { metrics: { tps: 3 } };
    });
    assert.equal(err.issues[0].path, 'regression.metrics');
    assert.match(err.message, /tps/);
  });

  it('rejects a missing dataset file with its path', () => {
    const err = invalid((raw) => {
      (raw.datasets as Record<string, { path: string }>)['64k'].path = 'datasets/missing.json';
    });
    assert.equal(err.issues[0].path, 'datasets.64k.path');
    assert.match(err.message, /missing\.json does not exist/);
  });

  it('rejects an experiment id with shell metacharacters', () => {
    for (const id of ['1A; rm -rf ~', '$(id)', 'a b', '`x`']) {
      const err = invalid((raw) => {
        (raw.experiments as Exp[])[0].id = id;
      });
      assert.equal(err.issues[0].path, 'experiments[0].id');
      assert.match(err.message, /no spaces or shell characters/);
    }
  });

  it('rejects unknown fields, unknown datasets and duplicate ids', () => {
    const err = invalid((raw) => {
      raw.timeout = 5;
      (raw.experiments as Exp[])[0].datasets = ['16k'];
      (raw.experiments as Exp[])[1].id = '1A';
    });
    const paths = err.issues.map((i) => i.path);
    assert.ok(paths.includes(''), 'the unknown top-level field is reported');
    assert.match(err.message, /unknown field\(s\) `timeout`/);
    const crossErr = invalid((raw) => {
      (raw.experiments as Exp[])[0].datasets = ['16k'];
      (raw.experiments as Exp[])[1].id = '1A';
    });
    assert.deepEqual(
      crossErr.issues.map((i) => i.path),
      ['experiments[0].datasets[0]', 'experiments[1].id'],
    );
  });

  it('reports YAML syntax errors', () => {
    assert.throws(() => parseSpec('name: [unclosed', '/tmp/x.yaml'), /YAML syntax/);
  });
});

describe('dataset check before submit', () => {
  it('rejects a dataset whose prompts cannot fit an experiment, naming both', () => {
    const spec = exampleSpec('sim-glm46.yaml', (raw) => {
      (raw.experiments as Exp[])[2].datasets = ['8k', '64k']; // 3A has max-model-len 8192
    });
    const { issues } = checkDatasets(spec);
    assert.equal(issues.length, 1);
    assert.equal(issues[0].path, 'datasets.64k');
    assert.match(
      issues[0].message,
      /experiment 3A: .*sample 64k_1: prompt 47490 \+ max_tokens 512 = 48002 tokens > max-model-len 8192/,
    );
  });

  it('reports skips instead when the dataset says onTooLong: skip', () => {
    // 6101 + 512 fits 6613 tokens; 8k_3's 6102 + 512 does not.
    const edit = (onTooLong: string) => (raw: Record<string, unknown>) => {
      (raw.experiments as Exp[])[2].flags = { 'max-model-len': 6613 };
      (raw.datasets as Record<string, Record<string, unknown>>)['8k'].onTooLong = onTooLong;
    };
    const skipping = checkDatasets(exampleSpec('sim-glm46.yaml', edit('skip')));
    assert.deepEqual(skipping.issues, []);
    assert.deepEqual(
      skipping.skips.map((s) => [s.experimentId, s.dataset, s.skipped.map((x) => x.id)]),
      [['3A', '8k', ['8k_3']]],
    );
    const strict = checkDatasets(exampleSpec('sim-glm46.yaml', edit('error')));
    assert.match(strict.issues[0]?.message ?? '', /experiment 3A: dataset 8k, sample 8k_3: prompt 6102/);
  });

  it('accepts the shipped examples as they are', () => {
    assert.deepEqual(checkDatasets(exampleSpec()).issues, []);
  });
});
