// Read a sweep spec from YAML, validate it, and resolve file paths, before anything is submitted.
import { accessSync, constants, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { SpecInvalid } from '../lib/errors';
import { checkDatasets } from './check-datasets';
import { sweepSpecSchema, type SweepSpec } from './schema';

interface Issue {
  path: string;
  message: string;
}

/** Load, validate and resolve a spec file, and check its datasets against each experiment's context
 * length. Throws SpecInvalid naming every bad field. */
export function loadSpecFile(file: string): SweepSpec {
  const spec = readSpecFile(file);
  const { issues } = checkDatasets(spec);
  if (issues.length > 0) throw new SpecInvalid(issues, file);
  return spec;
}

function readSpecFile(file: string): SweepSpec {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new SpecInvalid([{ path: '', message: `cannot read ${file}: ${(err as Error).message}` }], file);
  }
  return parseSpec(text, file);
}

/** Validate spec text; relative paths resolve against the spec file's folder. */
export function parseSpec(text: string, file = 'spec.yaml'): SweepSpec {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new SpecInvalid(
      doc.errors.map((e) => ({ path: '', message: `YAML syntax: ${e.message}` })),
      file,
    );
  }
  return validateSpec(doc.toJS(), dirname(resolve(file)), file);
}

export function validateSpec(raw: unknown, baseDir: string, source = 'spec'): SweepSpec {
  const parsed = sweepSpecSchema.safeParse(raw);
  if (!parsed.success) throw new SpecInvalid(zodIssues(parsed.error), source);
  const spec = resolvePaths(parsed.data, baseDir);
  const issues = crossCheck(spec);
  if (issues.length > 0) throw new SpecInvalid(issues, source);
  return spec;
}

function zodIssues(error: z.ZodError): Issue[] {
  return error.issues.map((issue) => ({
    path: formatPath(issue.path),
    message:
      issue.code === 'unrecognized_keys'
        ? `unknown field(s) ${issue.keys.map((k) => `\`${k}\``).join(', ')}: check the spelling against examples/`
        : issue.message,
  }));
}

function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((part, i) => (typeof part === 'number' ? `[${part}]` : `${i === 0 ? '' : '.'}${String(part)}`))
    .join('');
}

function resolvePaths(spec: SweepSpec, baseDir: string): SweepSpec {
  const abs = (p: string) =>
    p === '~' || p.startsWith('~/') ? join(homedir(), p.slice(1)) : isAbsolute(p) ? p : resolve(baseDir, p);
  const datasets = Object.fromEntries(
    Object.entries(spec.datasets).map(([name, ds]) => [
      name,
      'path' in ds ? { ...ds, path: abs(ds.path) } : ds,
    ]),
  );
  const access =
    spec.cluster.access.kind === 'ssh'
      ? {
          ...spec.cluster.access,
          identityFile: abs(spec.cluster.access.identityFile),
          knownHostsFile: spec.cluster.access.knownHostsFile && abs(spec.cluster.access.knownHostsFile),
        }
      : { ...spec.cluster.access, pathPrepend: spec.cluster.access.pathPrepend.map(abs) };
  return { ...spec, datasets, cluster: { ...spec.cluster, access } };
}

function crossCheck(spec: SweepSpec): Issue[] {
  const issues: Issue[] = [];
  if (spec.experiments.length === 0 && !spec.matrix) {
    issues.push({ path: 'experiments', message: 'list at least one experiment, or add a `matrix`' });
  }
  const seen = new Set<string>();
  spec.experiments.forEach((exp, i) => {
    if (seen.has(exp.id))
      issues.push({ path: `experiments[${i}].id`, message: `duplicate id \`${exp.id}\`` });
    seen.add(exp.id);
    exp.datasets.forEach((name, j) => {
      if (!(name in spec.datasets)) {
        issues.push({
          path: `experiments[${i}].datasets[${j}]`,
          message: `unknown dataset \`${name}\`; define it under \`datasets:\` (known: ${Object.keys(spec.datasets).join(', ')})`,
        });
      }
    });
  });
  spec.matrix?.datasets.forEach((name, j) => {
    if (!(name in spec.datasets)) {
      issues.push({ path: `matrix.datasets[${j}]`, message: `unknown dataset \`${name}\`` });
    }
  });
  for (const [name, ds] of Object.entries(spec.datasets)) {
    if (!('path' in ds)) continue; // synthetic
    try {
      accessSync(ds.path, constants.R_OK);
    } catch {
      issues.push({
        path: `datasets.${name}.path`,
        message: `file ${ds.path} does not exist or is not readable; fix the path (relative paths start at the spec's folder)`,
      });
    }
  }
  // The identity file is read where the worker runs, which need not be here: the worker checks it.
  return issues;
}
