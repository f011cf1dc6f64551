// Hand-made request records for metric and report tests.
import type { RequestRecord } from '../../src/loadgen/stream-client';

/** A successful request sent at `startMs` whose chunks arrived `chunks` ms after it (100 prompt tokens). */
export const okRecord = (startMs: number, chunks: number[]): RequestRecord => ({
  startedAtEpochMs: startMs,
  chunkTimesMs: chunks,
  promptTokens: 100,
  completionTokens: chunks.length,
  httpStatus: 200,
  ok: true,
});
