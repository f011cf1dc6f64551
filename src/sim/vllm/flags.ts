// Parses `vllm serve <model> [--flags]` the way vLLM's argparse does, into the sim's server config.

export interface ServeConfig {
  model: string;
  servedModelNames: string[];
  host: string;
  port: number;
  tensorParallelSize: number;
  enableExpertParallel: boolean;
  enforceEager: boolean;
  /** undefined: derived from the model profile, as vLLM derives it from the HF config. */
  maxModelLen?: number;
  maxNumSeqs: number;
  maxNumBatchedTokens?: number;
  gpuMemoryUtilization: number;
  /** V1 engines enable prefix caching by default; `--no-enable-prefix-caching` turns it off. */
  enablePrefixCaching: boolean;
  kvCacheDtype: string;
  dtype: string;
  enableChunkedPrefill: boolean;
  swapSpaceGiB: number;
  trustRemoteCode: boolean;
  enablePromptTokensDetails: boolean;
  /** Non-default args as given, for the `non-default args: {...}` log line. */
  nonDefaultArgs: Record<string, string | number | boolean>;
}

export interface ParsedServeArgs {
  config: ServeConfig;
  /** One line per flag the sim does not know; vLLM would reject them, the sim only warns. */
  warnings: string[];
}

type FlagKind = 'string' | 'int' | 'float' | 'bool' | 'list';
const KNOWN_FLAGS: Record<string, FlagKind> = {
  host: 'string',
  port: 'int',
  'tensor-parallel-size': 'int',
  'enable-expert-parallel': 'bool',
  'enforce-eager': 'bool',
  'max-model-len': 'int',
  'max-num-seqs': 'int',
  'max-num-batched-tokens': 'int',
  'gpu-memory-utilization': 'float',
  'enable-prefix-caching': 'bool',
  'kv-cache-dtype': 'string',
  dtype: 'string',
  'served-model-name': 'list',
  'enable-chunked-prefill': 'bool',
  'swap-space': 'float',
  'trust-remote-code': 'bool',
  'enable-prompt-tokens-details': 'bool',
};
// vLLM's short aliases for the same flags.
const ALIASES: Record<string, string> = { tp: 'tensor-parallel-size', 'served-model': 'served-model-name' };

/** vLLM accepts `1k`/`32K` style sizes for --max-model-len; plain integers otherwise. */
function parseIntValue(flag: string, raw: string): number {
  const match = /^(\d+)([kKmM]?)$/.exec(raw.trim());
  if (!match) throw new Error(`argument --${flag}: invalid int value: '${raw}'`);
  const base = Number(match[1]);
  const unit = match[2].toLowerCase();
  return unit === 'k' ? base * 1024 : unit === 'm' ? base * 1024 * 1024 : base;
}

function parseFloatValue(flag: string, raw: string): number {
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value)) {
    throw new Error(`argument --${flag}: invalid float value: '${raw}'`);
  }
  return value;
}

function parseBoolValue(flag: string, raw: string): boolean {
  if (/^(true|1|yes)$/i.test(raw)) return true;
  if (/^(false|0|no)$/i.test(raw)) return false;
  throw new Error(`argument --${flag}: invalid bool value: '${raw}'`);
}

export function defaultServeConfig(model: string): ServeConfig {
  return {
    model,
    servedModelNames: [model],
    host: '0.0.0.0',
    port: 8000,
    tensorParallelSize: 1,
    enableExpertParallel: false,
    enforceEager: false,
    maxNumSeqs: 256,
    gpuMemoryUtilization: 0.9,
    enablePrefixCaching: true,
    kvCacheDtype: 'auto',
    dtype: 'auto',
    enableChunkedPrefill: true,
    swapSpaceGiB: 4,
    trustRemoteCode: false,
    enablePromptTokensDetails: false,
    nonDefaultArgs: {},
  };
}

function applyFlag(config: ServeConfig, flag: string, kind: FlagKind, value: string | boolean): void {
  const text = String(value);
  const key = flag.replace(/-/g, '_');
  const asInt = () => parseIntValue(flag, text);
  const asFloat = () => parseFloatValue(flag, text);
  const asBool = () => (typeof value === 'boolean' ? value : parseBoolValue(flag, text));
  switch (flag) {
    case 'host':
      config.host = text;
      break;
    case 'port':
      config.port = asInt();
      break;
    case 'tensor-parallel-size':
      config.tensorParallelSize = asInt();
      break;
    case 'enable-expert-parallel':
      config.enableExpertParallel = asBool();
      break;
    case 'enforce-eager':
      config.enforceEager = asBool();
      break;
    case 'max-model-len':
      config.maxModelLen = asInt();
      break;
    case 'max-num-seqs':
      config.maxNumSeqs = asInt();
      break;
    case 'max-num-batched-tokens':
      config.maxNumBatchedTokens = asInt();
      break;
    case 'gpu-memory-utilization':
      config.gpuMemoryUtilization = asFloat();
      break;
    case 'enable-prefix-caching':
      config.enablePrefixCaching = asBool();
      break;
    case 'kv-cache-dtype':
      config.kvCacheDtype = text;
      break;
    case 'dtype':
      config.dtype = text;
      break;
    case 'served-model-name':
      config.servedModelNames = text.split(/\s+/).filter((name) => name !== '');
      break;
    case 'enable-chunked-prefill':
      config.enableChunkedPrefill = asBool();
      break;
    case 'swap-space':
      config.swapSpaceGiB = asFloat();
      break;
    case 'trust-remote-code':
      config.trustRemoteCode = asBool();
      break;
    case 'enable-prompt-tokens-details':
      config.enablePromptTokensDetails = asBool();
      break;
  }
  config.nonDefaultArgs[key] =
    kind === 'bool' ? asBool() : kind === 'int' ? asInt() : kind === 'float' ? asFloat() : text;
}

/**
 * Parses the arguments after `serve`: the model (positional, or `--model`), then flags in any of
 * vLLM's spellings: `--flag value`, `--flag=value`, `--bool-flag`, `--no-bool-flag`, `_` for `-`.
 */
export function parseServeArgs(argv: readonly string[]): ParsedServeArgs {
  const warnings: string[] = [];
  let model: string | undefined;
  const pending: { flag: string; kind: FlagKind; value: string | boolean }[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) {
      if (model !== undefined) throw new Error(`unrecognized arguments: ${arg}`);
      model = arg;
      continue;
    }
    const eq = arg.indexOf('=');
    let name = (eq >= 0 ? arg.slice(2, eq) : arg.slice(2)).replace(/_/g, '-');
    const inlineValue = eq >= 0 ? arg.slice(eq + 1) : undefined;
    name = ALIASES[name] ?? name;
    const next = argv[i + 1];
    const nextIsValue = next !== undefined && !next.startsWith('--');
    if (name === 'model') {
      model = inlineValue ?? argv[++i];
      continue;
    }
    const negated = name.startsWith('no-') && KNOWN_FLAGS[name.slice(3)] === 'bool';
    const flag = negated ? name.slice(3) : name;
    const kind = KNOWN_FLAGS[flag];
    if (kind === undefined) {
      // Unknown flags: take a following non-flag token as their value so it is not read as the model.
      const value = inlineValue ?? (nextIsValue ? argv[++i] : 'True');
      warnings.push(`Unknown argument --${name}=${value} is ignored by the simulated vLLM server`);
      continue;
    }
    if (kind === 'bool') {
      pending.push({ flag, kind, value: negated ? false : (inlineValue ?? true) });
      continue;
    }
    const value = inlineValue ?? (next !== undefined ? argv[++i] : undefined);
    if (value === undefined) throw new Error(`argument --${flag}: expected one argument`);
    pending.push({ flag, kind, value });
  }
  if (model === undefined) throw new Error('the following arguments are required: model_tag');
  const config = defaultServeConfig(model);
  for (const { flag, kind, value } of pending) applyFlag(config, flag, kind, value);
  return { config, warnings };
}
