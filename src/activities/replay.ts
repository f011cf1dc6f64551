// Warmup and dataset replay: stream every sample, keep the raw record on disk, return spec-time figures.
import { activityInfo, heartbeat } from '@temporalio/activity';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadDataset, type Sample } from '../datasets/load';
import { ServerFailed, TransportUnavailable } from '../lib/errors';
import { validateDataset } from '../datasets/validate';
import { createAgent, runLoad } from '../loadgen/runner';
import { sendStreamingRequest, type RequestRecord } from '../loadgen/stream-client';
import { startScraper, summarizeStatsLines, type ScrapeSummary } from '../server/metrics-scrape';
import { wordTokens } from '../spec/check-datasets';
import { request } from 'undici';
import type { DatasetRun, ReplayInput, SampleResult, WarmupInput } from '../workflows/types';
import type { ActivityDeps } from './deps';
import { reachServer } from './reach';
import { type ReplayHeartbeat, ReplayHeartbeats } from './replay-heartbeat';
import { specTimeMetrics, specTimeScrape } from './replay-metrics';
import { readRunFiles } from './run-files';
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

    /**
     * Replay a dataset `repeats` times in the spec's load mode. Every finished request is recorded at once
     * (records file, and the heartbeat, which Temporal keeps up to a budget; see replay-heartbeat.ts): a
     * retried attempt keeps finished runs and, in sequential mode, the finished prefix of the current run;
     * a request in flight when a worker died was never recorded, so it is sent again and counted once. (With concurrency or a request rate an
     * interrupted run is measured again from its start: its load shape was broken.)
     */
    async replayDataset(input: ReplayInput): Promise<DatasetRun> {
      const { workload } = input;
      const loaded = loadDataset(input.dataset, input.datasetSpec);
      const { samples, skipped } = fitSamples(loaded, input);
      const dir = join(deps.resultsDir, input.sweepId, input.configKey);
      mkdirSync(dir, { recursive: true });
      const attempt = input.attempt ? `.r${input.attempt}` : '';
      const recordsFile = join(dir, `${input.experimentId}.${input.dataset}${attempt}.jsonl`);
      const perRun = workload.numPrompts ?? samples.length;
      const durable =
        (activityInfo().heartbeatDetails as ReplayHeartbeat<StoredRecord> | undefined)?.records ?? [];
      const done = resumable(
        samples,
        perRun,
        workload.mode.kind === 'sequential',
        durable,
        readRecords(recordsFile),
      );
      const lines = done.map((r) => JSON.stringify(r));
      writeFileSync(recordsFile, lines.map((line) => line + '\n').join(''));
      const beats = new ReplayHeartbeats<StoredRecord>(heartbeat, perRun * workload.repeats);
      done.forEach((r, i) => beats.add(r, lines[i].length, r.run));

      const transport = deps.transportFor(input.cluster);
      let tunnel = await reachServer(input.cluster, transport, input.endpoint.host, input.endpoint.port);
      const baseUrl = () => `http://${tunnel.host}:${tunnel.port}`;
      const log = deps.logger.child({
        sweepId: input.sweepId,
        experiment: input.experimentId,
        stage: 'replay',
        jobId: input.job?.jobId,
      });
      const agent = createAgent(concurrencyOf(workload.mode));
      const scraper = startScraper({
        url: `${baseUrl()}/metrics`,
        // Its own connection: the load's pool may be fully busy streaming (one connection when sequential).
        intervalMs: Math.max(50, workload.scrapeIntervalSec * 1000 * input.timeScale),
      });
      const sendOnce = (sample: Sample) =>
        sendStreamingRequest({
          baseUrl: baseUrl(),
          endpoint: workload.endpoint,
          model: input.endpoint.model,
          ...requestBody(sample, workload.endpoint),
          maxTokens: sample.maxTokens,
          agent,
        });
      const send = async (sample: Sample): Promise<RequestRecord> => {
        let record = await sendOnce(sample);
        for (let resend = 1; !record.ok && input.job && resend <= MAX_RESENDS; resend++) {
          // Throws (stage replay, reason, log tail) when the job or its server is gone: the remaining
          // samples cannot be measured, and recording them as failed requests would hide why.
          await checkServingJob(deps, input.cluster, input.job, input.endpoint, 'replay');
          if (!wasCutOff(record)) break; // the healthy server answered with an error: a failed sample
          log.warn({ sample: sample.id, error: record.error, resend }, 'request cut off; sending it again');
          await tunnel.close().catch(() => undefined);
          tunnel = await reachServer(input.cluster, transport, input.endpoint.host, input.endpoint.port);
          record = await sendOnce(sample);
        }
        return record;
      };
      let scrape: ScrapeSummary | undefined;
      try {
        for (let run = runsDone(done, perRun); run < workload.repeats; run++) {
          if (run > 0 && workload.resetPrefixCache) await resetPrefixCache(baseUrl(), log);
          const startIndex = done.filter((r) => r.run === run).length;
          await runLoad({
            samples,
            mode: workload.mode,
            numPrompts: perRun,
            durationSec:
              workload.durationSec === undefined ? undefined : workload.durationSec * input.timeScale,
            warmupRequests: 0, // the warmup stage ran once after the load
            startIndex,
            send: (sample) => send(sample),
            onRecord: (record, index) => {
              const stored: StoredRecord = {
                sampleId: samples[index % samples.length].id,
                run,
                index,
                timeScale: input.timeScale,
                ...record,
              };
              const line = JSON.stringify(stored);
              appendFileSync(recordsFile, line + '\n');
              done.push(stored);
              beats.add(stored, line.length, run);
            },
          });
          beats.flush();
          log.info({ run, requests: perRun }, 'run measured');
        }
      } finally {
        scrape = await scraper.stop().catch(() => undefined);
        await agent.close().catch(() => undefined);
        await tunnel.close().catch(() => undefined);
      }
      const serverMetrics = scrape && scrape.scrapes > 1 ? scrape : await statsFromLog(deps, input);
      const runs = Array.from({ length: workload.repeats }, (_, run) => done.filter((r) => r.run === run));
      return {
        dataset: input.dataset,
        recordsFile,
        samples: done.map(toSampleResult),
        metrics: runs.map((records) =>
          specTimeMetrics(records, durationSecOf(records), input.timeScale, workload),
        ),
        ...(serverMetrics && { serverMetrics: specTimeScrape(serverMetrics, input.timeScale) }),
        ...(skipped.length > 0 && { skipped: skipped.map((s) => s.id) }),
      };
    },
  };
}

/** Samples that fit the server's context, or a DatasetInvalid naming the first that does not. */
function fitSamples(samples: Sample[], input: ReplayInput) {
  if (!input.maxModelLen) return { samples, skipped: [] };
  return validateDataset(samples, {
    maxModelLen: input.maxModelLen,
    tokenCount: wordTokens,
    onTooLong: input.datasetSpec.onTooLong,
    chatTokensPerMessage: input.workload.endpoint === 'chat' ? 3 : 0,
    datasetName: input.dataset,
  });
}

function concurrencyOf(mode: ReplayInput['workload']['mode']): number {
  if (mode.kind === 'concurrency') return mode.concurrency;
  if (mode.kind === 'rate') return mode.maxConcurrency ?? 256;
  return 1;
}

function runsDone(records: StoredRecord[], perRun: number): number {
  let run = 0;
  while (records.filter((r) => r.run === run).length >= perRun) run++;
  return run;
}

/** From the first send to the last chunk, as vllm bench serve's benchmark duration. */
function durationSecOf(records: StoredRecord[]): number {
  if (records.length === 0) return 0;
  const start = Math.min(...records.map((r) => r.startedAtEpochMs));
  const end = Math.max(
    ...records.map((r) => r.startedAtEpochMs + (r.chunkTimesMs[r.chunkTimesMs.length - 1] ?? 0)),
  );
  return (end - start) / 1000;
}

async function resetPrefixCache(baseUrl: string, log: ActivityDeps['logger']): Promise<void> {
  const res = await request(`${baseUrl}/reset_prefix_cache`, { method: 'POST' }).catch((err: Error) => err);
  if (res instanceof Error || res.statusCode >= 400) {
    log.warn(
      { status: res instanceof Error ? res.message : res.statusCode },
      'prefix cache reset refused (needs VLLM_SERVER_DEV_MODE=1)',
    );
  }
  if (!(res instanceof Error)) await res.body.dump();
}

/** The server's periodic stats lines, when /metrics could not be scraped. */
async function statsFromLog(deps: ActivityDeps, input: ReplayInput): Promise<ScrapeSummary | undefined> {
  if (!input.job) return undefined;
  const { log } = await readRunFiles(deps.transportFor(input.cluster), input.job.runDir, 2000).catch(() => ({
    log: '',
  }));
  const summary = summarizeStatsLines(log.split('\n'));
  return summary.scrapes > 0 ? summary : undefined;
}

interface StoredRecord extends RequestRecord {
  sampleId: string;
  /** Which repeat, and the request's place in it. */
  run: number;
  index: number;
  timeScale: number;
}

/**
 * What an earlier attempt measured and may be kept: the longer of the durable (heartbeat) and local (file)
 * lists, whole runs only, plus, in sequential mode, the current run's prefix in dataset order.
 */
export function resumable(
  samples: Sample[],
  perRun: number,
  sequential: boolean,
  ...candidates: StoredRecord[][]
): StoredRecord[] {
  const best = [...candidates].sort((a, b) => b.length - a.length)[0] ?? [];
  const kept: StoredRecord[] = [];
  for (let run = 0; ; run++) {
    const inRun = best.filter((r) => r.run === run).sort((a, b) => a.index - b.index);
    if (inRun.length >= perRun) {
      kept.push(...inRun.slice(0, perRun));
      continue;
    }
    if (!sequential) return kept;
    for (const [i, r] of inRun.entries()) {
      if (r.index !== i || samples[i % samples.length]?.id !== r.sampleId) break;
      kept.push(r);
    }
    return kept;
  }
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
    sampleId: r.run ? `${r.sampleId} (run ${r.run + 1})` : r.sampleId,
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
