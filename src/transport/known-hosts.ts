// Parse OpenSSH known_hosts files and decide whether a presented host key is the one on record.

import { createHash, createHmac, timingSafeEqual } from 'crypto';
import { readFile } from 'fs/promises';

export type KnownHostMarker = 'revoked' | 'cert-authority';

/** One usable line of a known_hosts file. */
export interface KnownHostEntry {
  marker?: KnownHostMarker;
  /** Plain host patterns (`login01`, `[login01]:2222`, `*.cluster`, `!bad`); empty when hashed. */
  patterns: string[];
  /** For `|1|salt|hash` lines: HMAC-SHA1 key and digest. */
  hashed?: { salt: Buffer; digest: Buffer };
  keyType: string;
  /** The SSH wire-format public key blob (base64-decoded third field). */
  keyBlob: Buffer;
  /** 1-based line number, for messages. */
  line: number;
}

export type HostKeyVerdict = 'match' | 'mismatch' | 'unknown';

/** Parse known_hosts text; malformed lines are skipped, as OpenSSH does. */
export function parseKnownHosts(text: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const entry = parseLine(raw.trim(), index + 1);
    if (entry) entries.push(entry);
  });
  return entries;
}

function parseLine(line: string, lineNumber: number): KnownHostEntry | undefined {
  if (line === '' || line.startsWith('#')) return undefined;
  const fields = line.split(/\s+/);
  let marker: KnownHostMarker | undefined;
  if (fields[0].startsWith('@')) {
    const name = fields.shift()!.slice(1);
    if (name !== 'revoked' && name !== 'cert-authority') return undefined;
    marker = name;
  }
  const [hostField, keyType, keyBase64] = fields;
  if (!hostField || !keyType || !keyBase64) return undefined;
  const keyBlob = Buffer.from(keyBase64, 'base64');
  if (keyBlob.length === 0 || embeddedKeyType(keyBlob) !== keyType) return undefined;

  const entry: KnownHostEntry = { patterns: [], keyType, keyBlob, line: lineNumber };
  if (marker) entry.marker = marker;
  if (hostField.startsWith('|1|')) {
    const [, , salt, digest] = hostField.split('|');
    if (!salt || !digest) return undefined;
    entry.hashed = { salt: Buffer.from(salt, 'base64'), digest: Buffer.from(digest, 'base64') };
  } else {
    entry.patterns = hostField.split(',').filter((p) => p !== '');
  }
  return entry;
}

/** The key type string that starts every SSH public key blob (uint32 length + name). */
function embeddedKeyType(blob: Buffer): string | undefined {
  if (blob.length < 4) return undefined;
  const nameLength = blob.readUInt32BE(0);
  if (nameLength > blob.length - 4) return undefined;
  return blob.subarray(4, 4 + nameLength).toString('latin1');
}

/** The name OpenSSH looks up: `host` on port 22, `[host]:port` otherwise. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

function globToRegExp(glob: string): RegExp {
  const body = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 'i');
}

/** OpenSSH pattern-list semantics: any negated match vetoes, otherwise any positive match wins. */
function matchesPatterns(patterns: string[], name: string): boolean {
  let matched = false;
  for (const pattern of patterns) {
    const negated = pattern.startsWith('!');
    if (!globToRegExp(negated ? pattern.slice(1) : pattern).test(name)) continue;
    if (negated) return false;
    matched = true;
  }
  return matched;
}

function matchesHashed(hashed: { salt: Buffer; digest: Buffer }, name: string): boolean {
  const digest = createHmac('sha1', hashed.salt).update(name).digest();
  return digest.length === hashed.digest.length && timingSafeEqual(digest, hashed.digest);
}

/** Entries (of any marker) that name this host and port. */
export function entriesForHost(entries: KnownHostEntry[], host: string, port: number): KnownHostEntry[] {
  const name = knownHostsName(host, port);
  return entries.filter((e) =>
    e.hashed ? matchesHashed(e.hashed, name) : matchesPatterns(e.patterns, name),
  );
}

/**
 * 'match' when a plain entry for host:port has exactly this key; 'mismatch' when the key is revoked or
 * the host is on record with a different key of the same type; 'unknown' otherwise (OpenSSH treats a
 * host known only by other key types as new). `@cert-authority` lines are skipped: ssh2 cannot check
 * host certificates, so they never vouch for a plain key.
 */
export function verifyHostKey(
  entries: KnownHostEntry[],
  host: string,
  port: number,
  keyBlob: Buffer,
): HostKeyVerdict {
  const presentedType = embeddedKeyType(keyBlob);
  const forHost = entriesForHost(entries, host, port);
  if (forHost.some((e) => e.marker === 'revoked' && e.keyBlob.equals(keyBlob))) return 'mismatch';
  const plain = forHost.filter((e) => e.marker === undefined);
  if (plain.some((e) => e.keyBlob.equals(keyBlob))) return 'match';
  if (plain.some((e) => e.keyType === presentedType)) return 'mismatch';
  return 'unknown';
}

/** OpenSSH's fingerprint form, as printed by `ssh-keygen -lf`: `SHA256:<base64 without padding>`. */
export function fingerprintSha256(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

/** Read and parse a known_hosts file; a missing file is an empty list (every host is then unknown). */
export async function readKnownHostsFile(path: string): Promise<KnownHostEntry[]> {
  try {
    return parseKnownHosts(await readFile(path, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}
