// Model profiles and the pure startup model: how long each stage takes and whether it fits in memory.
import type { ServeConfig } from './flags';

export interface ModelProfile {
  /** Weights of the whole model in GiB; each GPU holds weightsGiB / tensorParallelSize. */
  weightsGiB: number;
  safetensorShards: number;
  /** Simulated seconds to load the weights with expert parallelism (or for a dense model). */
  loadSeconds: number;
  /** MoE models replicate every expert on each GPU without EP: loading takes this many times longer. */
  noExpertParallelLoadFactor: number;
  dynamoSeconds: number;
  /** Inductor compile for the dynamic shape, after Dynamo. */
  graphCompileSeconds: number;
  cudaGraphCaptureSeconds: number;
  cudaGraphGiB: number;
  /** Activation peak plus non-torch memory per GPU, found by the memory profiling run. */
  profilingOverheadGiB: number;
  /** K and V bytes per token for all layers in 16-bit precision, before the TP split. */
  kvBytesPerToken16bit: number;
  /** max_position_embeddings: the default --max-model-len. */
  maxPositionEmbeddings: number;
  /** Tokens/s of one sequence while decoding; the seed measured ~8.7 regardless of prompt length. */
  decodeTokensPerSec: number;
  prefillTokensPerSec: number;
  architecture: string;
}

// GLM-4.6: 355B MoE, 92 layers, 8 KV heads of 128 dims; 660.8 GiB bf16 = 82.6 GiB per GPU at TP 8.
const GLM_46: ModelProfile = {
  weightsGiB: 660.8,
  safetensorShards: 93,
  loadSeconds: 155,
  noExpertParallelLoadFactor: 2,
  dynamoSeconds: 21.5,
  graphCompileSeconds: 1238.5,
  cudaGraphCaptureSeconds: 45,
  cudaGraphGiB: 1.23,
  // Chosen so fp8 KV at 0.95 utilization holds ~2.0M tokens: 6.6k tokens show as 0.3% like the seed.
  profilingOverheadGiB: 7.5,
  kvBytesPerToken16bit: 2 * 92 * 8 * 128 * 2,
  maxPositionEmbeddings: 202752,
  decodeTokensPerSec: 8.7,
  prefillTokensPerSec: 25000,
  architecture: 'Glm4MoeForCausalLM',
};

// Any model the table does not know: a small dense model that starts in seconds.
export const DEFAULT_PROFILE: ModelProfile = {
  weightsGiB: 1.5,
  safetensorShards: 1,
  loadSeconds: 4,
  noExpertParallelLoadFactor: 1,
  dynamoSeconds: 3.2,
  graphCompileSeconds: 14.8,
  cudaGraphCaptureSeconds: 6,
  cudaGraphGiB: 0.12,
  profilingOverheadGiB: 1.2,
  kvBytesPerToken16bit: 2 * 24 * 2 * 64 * 2,
  maxPositionEmbeddings: 8192,
  decodeTokensPerSec: 8.7,
  prefillTokensPerSec: 25000,
  architecture: 'LlamaForCausalLM',
};

const PROFILES: Record<string, ModelProfile> = { 'zai-org/GLM-4.6': GLM_46 };

export function modelProfile(model: string): ModelProfile {
  return PROFILES[model] ?? DEFAULT_PROFILE;
}

export const H200_MEMORY_GIB = 141;
export const KV_BLOCK_TOKENS = 16;
const GIB = 1024 ** 3;

export type StartupFailure =
  | { kind: 'oom-weights'; atShard: number; requestedGiB: number; freeGiB: number }
  | { kind: 'no-kv-memory' }
  | { kind: 'max-len-exceeds-kv'; maxModelLen: number; kvCacheTokens: number };

/** Everything about a startup that does not depend on the clock: durations are simulated seconds. */
export interface StartupPlan {
  profile: ModelProfile;
  gpuMemoryGiB: number;
  maxModelLen: number;
  weightsPerGpuGiB: number;
  loadSeconds: number;
  /** 0 under --enforce-eager. */
  dynamoSeconds: number;
  graphCompileSeconds: number;
  cudaGraphSeconds: number;
  profilingSeconds: number;
  availableKvGiB: number;
  kvCacheTokens: number;
  kvBytesPerTokenPerGpu: number;
  failure?: StartupFailure;
}

/** Weight loading slows down without expert parallelism: every GPU reads all experts. */
export function weightLoadSeconds(profile: ModelProfile, enableExpertParallel: boolean): number {
  return enableExpertParallel
    ? profile.loadSeconds
    : profile.loadSeconds * profile.noExpertParallelLoadFactor;
}

export function planStartup(config: ServeConfig, gpuMemoryGiB: number = H200_MEMORY_GIB): StartupPlan {
  const profile = modelProfile(config.model);
  const tp = Math.max(1, config.tensorParallelSize);
  const weightsPerGpuGiB = profile.weightsGiB / tp;
  const budgetGiB = gpuMemoryGiB * config.gpuMemoryUtilization;
  const kvDtypeBytesFactor = config.kvCacheDtype.startsWith('fp8') ? 0.5 : 1;
  const kvBytesPerTokenPerGpu = (profile.kvBytesPerToken16bit * kvDtypeBytesFactor) / tp;
  const compiled = !config.enforceEager;
  const plan: StartupPlan = {
    profile,
    gpuMemoryGiB,
    maxModelLen: config.maxModelLen ?? profile.maxPositionEmbeddings,
    weightsPerGpuGiB,
    loadSeconds: weightLoadSeconds(profile, config.enableExpertParallel),
    dynamoSeconds: compiled ? profile.dynamoSeconds : 0,
    graphCompileSeconds: compiled ? profile.graphCompileSeconds : 0,
    cudaGraphSeconds: compiled ? profile.cudaGraphCaptureSeconds : 0,
    profilingSeconds: 6.5,
    availableKvGiB: 0,
    kvCacheTokens: 0,
    kvBytesPerTokenPerGpu,
  };
  if (weightsPerGpuGiB > budgetGiB) {
    // The allocator fails on the shard that crosses the budget; requested size is about one shard.
    const perShardGiB = weightsPerGpuGiB / profile.safetensorShards;
    const atShard = Math.max(1, Math.floor(budgetGiB / perShardGiB));
    const freeGiB = Math.max(0, gpuMemoryGiB - atShard * perShardGiB);
    plan.failure = { kind: 'oom-weights', atShard, requestedGiB: perShardGiB * 1.5, freeGiB };
    return plan;
  }
  plan.availableKvGiB = budgetGiB - weightsPerGpuGiB - profile.profilingOverheadGiB;
  if (plan.availableKvGiB <= 0) {
    plan.availableKvGiB = 0;
    plan.failure = { kind: 'no-kv-memory' };
    return plan;
  }
  const blocks = Math.floor((plan.availableKvGiB * GIB) / (kvBytesPerTokenPerGpu * KV_BLOCK_TOKENS));
  plan.kvCacheTokens = blocks * KV_BLOCK_TOKENS;
  if (plan.maxModelLen > plan.kvCacheTokens) {
    plan.failure = {
      kind: 'max-len-exceeds-kv',
      maxModelLen: plan.maxModelLen,
      kvCacheTokens: plan.kvCacheTokens,
    };
  }
  return plan;
}

/** Total simulated seconds from launch to a ready port when the plan succeeds. */
export function readySeconds(plan: StartupPlan): number {
  return (
    STARTUP_OVERHEAD_SECONDS.beforeLoad +
    plan.loadSeconds +
    STARTUP_OVERHEAD_SECONDS.afterLoad +
    plan.dynamoSeconds +
    plan.graphCompileSeconds +
    plan.profilingSeconds +
    plan.cudaGraphSeconds +
    STARTUP_OVERHEAD_SECONDS.apiServer
  );
}

/** Fixed simulated costs around the modelled stages (process spawn, NCCL init, HTTP app start). */
export const STARTUP_OVERHEAD_SECONDS = { beforeLoad: 12, afterLoad: 1.8, apiServer: 2.5 };
