// vLLM-style automatic prefix caching: prompts are cut into 16-token blocks, each block named by a
// hash chained over everything before it, so a block hits only when its whole prefix matches.
import { createHash } from 'node:crypto';
import { KV_BLOCK_TOKENS } from './profile';

export function blockHashes(tokens: readonly string[]): string[] {
  const hashes: string[] = [];
  let previous = '';
  for (let end = KV_BLOCK_TOKENS; end <= tokens.length; end += KV_BLOCK_TOKENS) {
    previous = createHash('sha1')
      .update(previous)
      .update('\u0000')
      .update(tokens.slice(end - KV_BLOCK_TOKENS, end).join('\u0001'))
      .digest('base64');
    hashes.push(previous);
  }
  return hashes;
}

/** An LRU set of cached block hashes, bounded by the KV cache's block count. */
export class PrefixCache {
  // Map iteration order is insertion order: the first key is the least recently used block.
  private readonly blocks = new Map<string, true>();

  constructor(private readonly capacityBlocks: number) {}

  /**
   * Cached tokens for a prompt: the leading run of cached blocks. Like vLLM, the last prompt token is
   * always recomputed, so only blocks that end before it can hit.
   */
  lookupTokens(hashes: readonly string[], promptTokens: number): number {
    const usableBlocks = Math.min(hashes.length, Math.floor((promptTokens - 1) / KV_BLOCK_TOKENS));
    let hitBlocks = 0;
    while (hitBlocks < usableBlocks && this.blocks.has(hashes[hitBlocks])) hitBlocks++;
    return hitBlocks * KV_BLOCK_TOKENS;
  }

  insert(hashes: readonly string[]): void {
    for (const hash of hashes) {
      this.blocks.delete(hash);
      this.blocks.set(hash, true);
    }
    for (const oldest of this.blocks.keys()) {
      if (this.blocks.size <= this.capacityBlocks) break;
      this.blocks.delete(oldest);
    }
  }

  reset(): void {
    this.blocks.clear();
  }

  get sizeBlocks(): number {
    return this.blocks.size;
  }
}
