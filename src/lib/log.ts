// Structured logs for machines (pino): to a file by default so the terminal stays for people.
import { Runtime, type LogLevel, type LogMetadata } from '@temporalio/worker';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import pino, { type Logger } from 'pino';
import { stateDir } from './paths';

/** Fields that could carry secrets are censored wherever they appear. */
const REDACT = [
  '*.privateKey',
  '*.passphrase',
  '*.password',
  '*.apiKey',
  '*.token',
  'privateKey',
  'passphrase',
  'password',
];

function destination(): pino.DestinationStream {
  const target = process.env.VSWEEP_LOG ?? join(stateDir(), 'logs', 'vsweep.log');
  if (target === 'stderr') return pino.destination(2);
  mkdirSync(dirname(target), { recursive: true });
  // Synchronous: the CLI may exit right after logging, and nothing here logs at high volume.
  return pino.destination({ dest: target, append: true, sync: true });
}

export const logger: Logger = pino(
  { level: process.env.VSWEEP_LOG_LEVEL ?? 'info', redact: { paths: REDACT, censor: '[redacted]' } },
  destination(),
);

let installed = false;

/** Route the Temporal SDK's logs (and its Rust core's) into pino; once per process. */
export function installTemporalLogger(log: Logger = logger): void {
  if (installed) return;
  installed = true;
  const emit = (level: LogLevel, message: string, meta?: LogMetadata) => {
    const fields = Object.fromEntries(Object.entries(meta ?? {}).filter(([k]) => typeof k === 'string'));
    const method = level === 'TRACE' ? 'trace' : (level.toLowerCase() as 'debug' | 'info' | 'warn' | 'error');
    log[method](fields, message);
  };
  Runtime.install({
    // vsweep's commands handle SIGINT/SIGTERM themselves (cancel, delete jobs, then stop the worker);
    // the SDK's default would shut the worker down first and leave nobody to run the teardown.
    shutdownSignals: [],
    // The SDK's Rust core logs to stderr by default; forward them into the same pino log.
    telemetryOptions: { logging: { filter: { core: 'WARN', other: 'WARN' }, forward: {} } },
    logger: {
      log: emit,
      trace: (m, meta) => emit('TRACE', m, meta),
      debug: (m, meta) => emit('DEBUG', m, meta),
      info: (m, meta) => emit('INFO', m, meta),
      warn: (m, meta) => emit('WARN', m, meta),
      error: (m, meta) => emit('ERROR', m, meta),
    },
  });
}
