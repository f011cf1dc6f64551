// Wait for the model server: follow its log for the startup stage, end at once when the job or the
// engine dies, and succeed when /health answers 200 and /v1/models lists the model.
import { heartbeat, sleep } from '@temporalio/activity';
import { request } from 'undici';
import { JobVanished, ServerFailed, ServerStartTimeout } from '../lib/errors';
import { parseStartupLog } from '../server/vllm-log';
import type { ClusterSpec } from '../spec/schema';
import type { Transport } from '../transport/types';
import { reachServer } from './reach';
import { readRunFiles } from './run-files';
import type { ServerEndpoint, ServingJob, WaitForReadyInput } from '../workflows/types';
import type { ActivityDeps } from './deps';
import { pollIntervalMs, probeIntervalMs } from './timing';

const LOG_TAIL_LINES = 40;
/** Job states in which the server may still be serving. */
const SERVING_STATES = new Set(['R']);

export function serverActivities(deps: ActivityDeps) {
  return {
    async waitForServerReady(input: WaitForReadyInput): Promise<ServerEndpoint> {
      const transport = deps.transportFor(input.cluster);
      const ctx = { stage: 'load', jobId: input.jobId };
      const qstatEveryMs = pollIntervalMs(input.cluster, input.timeScale);
      let lastQstatMs = 0;
      for (;;) {
        const { log, endpointHost } = await readRunFiles(transport, input.runDir);
        const startup = parseStartupLog(log);
        const logTail = tail(log, LOG_TAIL_LINES);
        if (startup.stage === 'failed') {
          throw new ServerFailed(`engine failed to start: ${startup.failure ?? 'see the log tail'}`, {
            ...ctx,
            logTail,
          });
        }
        if (Date.now() - lastQstatMs >= qstatEveryMs) {
          lastQstatMs = Date.now();
          const job = await deps.jobStatus(input.cluster, input.jobId, qstatEveryMs);
          if (job === 'unknown' || job.state === 'F' || job.state === 'E') {
            const why =
              job !== 'unknown'
                ? `state ${job.state}${job.comment ? `: ${job.comment}` : ''}`
                : 'unknown to the scheduler';
            throw new JobVanished(`job ${input.jobId} ended while the server was starting (${why})`, {
              ...ctx,
              logTail,
            });
          }
        }
        const model = endpointHost && (await servedModel(input.cluster, transport, endpointHost, input.port));
        if (endpointHost && model) {
          return {
            host: endpointHost,
            port: input.port,
            startupSec: (Date.now() - input.jobStartedAtMs) / 1000 / input.timeScale,
            modelMemoryGiB: startup.modelMemoryGiB,
            model,
          };
        }
        if (Date.now() > input.deadlineMs) {
          const where = startup.progress ? `${startup.stage} (${startup.progress})` : startup.stage;
          throw new ServerStartTimeout(
            `server not ready within ${Math.round(input.loadTimeout.totalSec)} s (${input.loadTimeout.explanation}); startup was in stage ${where}`,
            { ...ctx, startupStage: startup.stage, logTail },
          );
        }
        heartbeat({ stage: startup.stage, progress: startup.progress });
        await sleep(probeIntervalMs(input.timeScale));
      }
    },
  };
}

/**
 * After a request failed on a server that was ready: is the server still there? Throws JobVanished when
 * the job ended (killed, node failure, or its server process died), ServerFailed when the job runs but
 * the engine logged a failure or stopped answering; both carry the log tail. Returns when it is healthy.
 */
export async function checkServingJob(
  deps: ActivityDeps,
  cluster: ClusterSpec,
  job: ServingJob,
  endpoint: ServerEndpoint,
  stage: string,
): Promise<void> {
  const transport = deps.transportFor(cluster);
  const ctx = { stage, jobId: job.jobId, host: endpoint.host };
  const [files, status] = await Promise.all([
    readRunFiles(transport, job.runDir),
    deps.jobStatus(cluster, job.jobId, 0), // fresh: a cached "R" is exactly what cannot be trusted here
  ]);
  const logTail = tail(files.log, LOG_TAIL_LINES);
  if (status === 'unknown' || !SERVING_STATES.has(status.state)) {
    const why =
      status === 'unknown'
        ? 'unknown to the scheduler'
        : `state ${status.state}${status.exitStatus !== undefined ? `, Exit_status ${status.exitStatus}` : ''}${status.comment ? `: ${status.comment}` : ''}`;
    throw new JobVanished(`job ${job.jobId} ended during ${stage} (${why})`, { ...ctx, logTail });
  }
  const startup = parseStartupLog(files.log);
  if (startup.stage === 'failed') {
    throw new ServerFailed(`engine failed during ${stage}: ${startup.failure ?? 'see the log tail'}`, {
      ...ctx,
      logTail,
    });
  }
  if (!(await servedModel(cluster, transport, endpoint.host, endpoint.port))) {
    throw new ServerFailed(
      `server on ${endpoint.host}:${endpoint.port} stopped answering /health during ${stage} while job ${job.jobId} still runs`,
      { ...ctx, logTail },
    );
  }
}

/** The served model's id once /health is 200 and /v1/models lists it; undefined while starting. */
async function servedModel(
  cluster: ClusterSpec,
  transport: Transport,
  host: string,
  port: number,
): Promise<string | undefined> {
  let tunnel;
  try {
    tunnel = await reachServer(cluster, transport, host, port);
    const base = `http://${tunnel.host}:${tunnel.port}`;
    const health = await request(`${base}/health`, { headersTimeout: 5000, bodyTimeout: 5000 });
    await health.body.dump();
    if (health.statusCode !== 200) return undefined;
    const models = await request(`${base}/v1/models`, { headersTimeout: 5000, bodyTimeout: 5000 });
    const body = (await models.body.json()) as { data?: { id: string }[] };
    return models.statusCode === 200 ? body.data?.[0]?.id : undefined;
  } catch {
    return undefined; // refused while loading: the normal case until the engine is up
  } finally {
    await tunnel?.close();
  }
}

export function tail(text: string, lines: number): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}
