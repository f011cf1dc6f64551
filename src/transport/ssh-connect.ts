// Open one authenticated ssh2 connection: read the key, pin the host key, name failures clearly.

import { readFile } from 'fs/promises';
import { Client, type ConnectConfig, type ServerHostKeyAlgorithm } from 'ssh2';
import { HostKeyMismatch, TransportUnavailable } from '../lib/errors';
import { TransportAuthFailed } from './errors';
import {
  entriesForHost,
  fingerprintSha256,
  readKnownHostsFile,
  verifyHostKey,
  type HostKeyVerdict,
} from './known-hosts';

export interface SshConnectSettings {
  host: string;
  port: number;
  username: string;
  identityFile: string;
  passphraseEnv?: string;
  knownHostsFile: string;
  strictHostKeyChecking: boolean;
  keepaliveIntervalMs: number;
  keepaliveCountMax: number;
  connectTimeoutMs: number;
  /** Called when an unknown host key is accepted because strict checking is off. */
  onUnknownHostKeyAccepted?: (fingerprint: string) => void;
}

// ssh2's default host key order; known_hosts types go first so the server offers the key we hold.
const SSH2_HOST_KEY_ALGORITHMS: ServerHostKeyAlgorithm[] = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
];

function algorithmsForKeyType(keyType: string): ServerHostKeyAlgorithm[] {
  if (keyType === 'ssh-rsa') return ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];
  return SSH2_HOST_KEY_ALGORITHMS.filter((algo) => algo === keyType);
}

/** Preferred host key algorithms: those of keys on record for this host first, then the rest. */
export function hostKeyAlgorithmOrder(knownKeyTypes: string[]): ServerHostKeyAlgorithm[] {
  const preferred = knownKeyTypes.flatMap(algorithmsForKeyType);
  return [...new Set([...preferred, ...SSH2_HOST_KEY_ALGORITHMS])];
}

function hostKeyError(s: SshConnectSettings, verdict: HostKeyVerdict, keyBlob: Buffer): HostKeyMismatch {
  const fingerprint = fingerprintSha256(keyBlob);
  const where = `${s.host}:${s.port}`;
  const context = { host: s.host, port: s.port, fingerprint };
  const scan = `ssh-keyscan -p ${s.port} ${s.host} >> ${s.knownHostsFile}`;
  if (verdict === 'unknown') {
    return new HostKeyMismatch(
      `Host key of ${where} (${fingerprint}) is not in ${s.knownHostsFile}; no command was run. ` +
        `If that fingerprint is your login node's (compare with your site's published one), add it: ${scan}`,
      context,
    );
  }
  const name = s.port === 22 ? s.host : `[${s.host}]:${s.port}`;
  return new HostKeyMismatch(
    `Host key of ${where} (${fingerprint}) does not match ${s.knownHostsFile} (changed or revoked); ` +
      `no command was run. If the change is expected, replace the entry: ` +
      `ssh-keygen -R '${name}' -f ${s.knownHostsFile} && ${scan}`,
    context,
  );
}

async function readIdentity(s: SshConnectSettings): Promise<{ privateKey: Buffer; passphrase?: string }> {
  const who = `${s.username}@${s.host}:${s.port}`;
  let privateKey: Buffer;
  try {
    privateKey = await readFile(s.identityFile);
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new TransportAuthFailed(`Cannot read identity file ${s.identityFile} for ${who} (${reason})`, {
      host: s.host,
    });
  }
  if (!s.passphraseEnv) return { privateKey };
  const passphrase = process.env[s.passphraseEnv];
  if (passphrase === undefined) {
    throw new TransportAuthFailed(
      `Identity file ${s.identityFile} for ${who} needs a passphrase but $${s.passphraseEnv} is not set`,
      { host: s.host },
    );
  }
  return { privateKey, passphrase };
}

/** Connect and authenticate; rejects with HostKeyMismatch, TransportAuthFailed or TransportUnavailable. */
export async function connectSsh(s: SshConnectSettings): Promise<Client> {
  const who = `${s.username}@${s.host}:${s.port}`;
  const identity = await readIdentity(s);
  const knownHosts = await readKnownHostsFile(s.knownHostsFile);
  const knownKeyTypes = entriesForHost(knownHosts, s.host, s.port)
    .filter((e) => e.marker === undefined)
    .map((e) => e.keyType);
  let hostKeyProblem: HostKeyMismatch | undefined;

  const config: ConnectConfig = {
    host: s.host,
    port: s.port,
    username: s.username,
    ...identity,
    readyTimeout: s.connectTimeoutMs,
    keepaliveInterval: s.keepaliveIntervalMs,
    keepaliveCountMax: s.keepaliveCountMax,
    algorithms: { serverHostKey: hostKeyAlgorithmOrder(knownKeyTypes) },
    hostVerifier: (keyBlob: Buffer) => {
      const verdict = verifyHostKey(knownHosts, s.host, s.port, keyBlob);
      if (verdict === 'match') return true;
      if (verdict === 'unknown' && !s.strictHostKeyChecking) {
        s.onUnknownHostKeyAccepted?.(fingerprintSha256(keyBlob));
        return true;
      }
      hostKeyProblem = hostKeyError(s, verdict, keyBlob);
      return false;
    },
  };

  const client = new Client();
  return new Promise<Client>((resolve, reject) => {
    const onError = (err: Error & { level?: string }): void => {
      client.removeListener('ready', onReady);
      client.end();
      if (hostKeyProblem) reject(hostKeyProblem);
      else if (err.level === 'client-authentication') {
        reject(
          new TransportAuthFailed(
            `${who} refused the key in ${s.identityFile} (${err.message}); check the user name and that ` +
              `the public key is in ~/.ssh/authorized_keys on ${s.host}`,
            { host: s.host },
          ),
        );
      } else {
        reject(
          new TransportUnavailable(
            `Cannot connect to ${who}: ${err.message}`,
            { host: s.host },
            { cause: err },
          ),
        );
      }
    };
    const onReady = (): void => {
      client.removeListener('error', onError);
      // Like OpenSSH for forwarded channels: no Nagle delay on small writes (each SSE chunk is one).
      client.setNoDelay(true);
      resolve(client);
    };
    client.once('error', onError).once('ready', onReady);
    try {
      client.connect(config);
    } catch (err) {
      // ssh2 throws synchronously when the key cannot be parsed (e.g. wrong or missing passphrase).
      client.removeListener('error', onError);
      reject(
        new TransportAuthFailed(
          `Cannot use identity file ${s.identityFile} for ${who}: ${(err as Error).message}`,
          { host: s.host },
        ),
      );
    }
  });
}
