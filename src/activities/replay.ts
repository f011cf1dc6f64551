// Warmup and dataset replay: stream every sample, keep the raw record on disk, return spec-time figures.
import { activityInfo, heartbeat } from '@temporalio/activity';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadDataset, type Sample } from '../datasets/load';
import { ServerFailed, TransportUnavailable } from '../lib/errors';
import { sendStreamingRequest, type RequestRecord } from '../loadgen/stream-client';
import type { DatasetRun, ReplayInput, SampleResult, WarmupInput } from '../workflows/types';
import type { ActivityDeps } from './deps';
import { reachServer } from './reach';
import { checkServingJob } from './server';

const WARMUP_PROMPT = 'vsweep warmup request: say something short.';
/** A request cut off on a healthy server (the SSH tunnel dropped) is sent again at most this often. */
const MAX_RESENDS = 2;

/** No HTTP answer, or the connection closed mid-stream: the request was interrupted, not answered. */
export function wasCutOff(record: RequestRecord): boolean {
  return (
    record.httpStatus === 0 ||
    /SocketError|other side closed|ECONNRESET|EPIPE|ECONNREFUSED|socket hang up|terminated/i.test(
      record.error ?? '',
    )
  );
}

export function replayActivities(deps: ActivityDeps) {
  return {
    /** Requests that absorb the cold start (first-request compilation, caches); never measured. */
    async warmup(input: WarmupInput): Promise<{ sent: number }> {
      const transport = deps.transportFor(input.cluster);
      const tunnel = await reachServer(input.cluster, transport, input.endpoint.host, input.endpoint.port);
      try {
        for (let i = 0; i < input.workload.warmupRequests; i++) {
          const record = await sendStreamingRequest({
            baseUrl: `http://${tunnel.host}:${tunnel.port}`,
            endpoint: input.workload.endpoint,
            model: input.endpoint.model,
            ...(input.workload.endpoint === 'chat'
              ? { messages: [{ role: 'user', content: WARMUP_PROMPT }] }
              : { prompt: WARMUP_PROMPT }),
            maxTokens: 16,
          });
          if (!record.ok) {
            // A dead server or job ends the experiment here, with the reason and the log tail.
            if (input.job) await checkServingJob(deps, input.cluster, input.job, input.endpoint, 'warmup');
            if (wasCutOff(record))
              throw new TransportUnavailable(`warmup request cut off: ${record.error}`, { stage: 'warmup' });
            throw new ServerFailed(`warmup request failed: ${record.error}`, { stage: 'warmup' });
          }
          heartbeat({ sent: i + 1 });
        }
        return { sent: input.workload.warmupRequests };
      } finally {
        await tunnel.close();
      }
    },

    async replayDataset(input: ReplayInput): Promise<DatasetRun> {
      const samples = loadDataset(input.dataset, input.datasetSpec);
      const dir = join(deps.resultsDir, input.sweepId, input.configKey);
      mkdirSync(dir, { recursive: true });
      const recordsFile = join(dir, `${input.experimentId}.${input.dataset}.jsonl`);
      // Samples an earlier attempt measured are kept, not measured again: from the heartbeat (durable in
      // Temporal, any worker) or this machine's file, whichever holds more. A sample that was in flight
      // when a worker died was never recorded, so it is sent again and counted once.
      const durable = (activityInfo().heartbeatDetails as ReplayHeartbeat | undefined)?.records ?? [];
      const done = longestPrefix(samples, durable, readRecords(recordsFile));
      writeFileSync(recordsFile, done.map((r) => JSON.stringify(r) + '\n').join(''));
      const transport = deps.transportFor(input.cluster);
      let tunnel = await reachServer(input.cluster, transport, input.endpoint.host, input.endpoint.port);
      const log = deps.logger.child({
        sweepId: input.sweepId,
        experiment: input.experimentId,
        stage: 'replay',
        jobId: input.job?.jobId,
      });
      const send = (sample: Sample) =>
        sendStreamingRequest({
          baseUrl: `http://${tunnel.host}:${tunnel.port}`,
          endpoint: input.workload.endpoint,
          model: input.endpoint.model,
          ...requestBody(sample, input.workload.endpoint),
          maxTokens: sample.maxTokens,
        });
      try {
        for (const sample of samples.slice(done.length)) {
          let record = await send(sample);
          for (let resend = 1; !record.ok && input.job && resend <= MAX_RESENDS; resend++) {
            // Throws (stage replay, reason, log tail) when the job or its server is gone: the remaining
            // samples cannot be measured, and recording them as failed requests would hide why.
            await checkServingJob(deps, input.cluster, input.job, input.endpoint, 'replay');
            if (!wasCutOff(record)) break; // the healthy server answered with an error: a failed sample
            // Cut off on a healthy server (the SSH tunnel dropped): never measured, so measure it now.
            log.warn({ sample: sample.id, error: record.error, resend }, 'request cut off; sending it again');
            await tunnel.close().catch(() => undefined);
            tunnel = await reachServer(input.cluster, transport, input.endpoint.host, input.endpoint.port);
            record = await send(sample);
          }
          const stored: StoredRecord = { sampleId: sample.id, timeScale: input.timeScale, ...record };
          appendFileSync(recordsFile, JSON.stringify(stored) + '\n');
          done.push(stored);
          log.info({ sample: sample.id, ok: record.ok }, 'sample measured');
          heartbeat({
            samplesDone: done.length,
            samplesTotal: samples.length,
            records: done,
          } satisfies ReplayHeartbeat);
        }
      } finally {
        await tunnel.close().catch(() => undefined);
      }
      return { dataset: input.dataset, recordsFile, samples: done.map(toSampleResult) };
    },
  };
}

interface StoredRecord extends RequestRecord {
  sampleId: string;
  timeScale: number;
}

interface ReplayHeartbeat {
  samplesDone: number;
  samplesTotal: number;
  records: StoredRecord[];
}

/** The longer of two record lists that follow the dataset's order (anything else is not trusted). */
export function longestPrefix(samples: Sample[], ...candidates: StoredRecord[][]): StoredRecord[] {
  const valid = candidates.filter((records) => records.every((r, i) => samples[i]?.id === r.sampleId));
  return [...(valid.sort((a, b) => b.length - a.length)[0] ?? [])];
}

function requestBody(sample: Sample, endpoint: 'completions' | 'chat') {
  if (endpoint === 'chat')
    return { messages: sample.messages ?? [{ role: 'user', content: sample.prompt ?? '' }] };
  return { prompt: sample.prompt ?? (sample.messages ?? []).map((m) => m.content).join('\n') };
}

function readRecords(file: string): StoredRecord[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as StoredRecord);
}

/** Spec-time figures as the seed reported them; TTFT and E2EL as `vllm bench serve` defines them. */
export function toSampleResult(r: StoredRecord): SampleResult {
  const toSec = (ms: number) => ms / 1000 / r.timeScale;
  const ttftMs = r.chunkTimesMs[0] ?? 0;
  const e2eMs = r.chunkTimesMs[r.chunkTimesMs.length - 1] ?? 0;
  const latencySec = toSec(e2eMs);
  return {
    sampleId: r.sampleId,
    promptTokens: r.promptTokens,
    completionTokens: r.completionTokens,
    cachedTokens: r.cachedTokens,
    ttftSec: toSec(ttftMs),
    latencySec,
    tokensPerSec: r.ok && latencySec > 0 ? r.completionTokens / latencySec : 0,
    ok: r.ok,
    error: r.error,
  };
}
