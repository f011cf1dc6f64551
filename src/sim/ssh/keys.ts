// Key material and OpenSSH client files for the simulated login node, created once and reused.

import { chmod, mkdir, readFile, writeFile } from 'fs/promises';
import { join } from 'path';
import { utils } from 'ssh2';

export interface KeyPairFiles {
  privateKeyPath: string;
  publicKeyPath: string;
  /** OpenSSH private key text; secret: never log it. */
  privateKey: string;
  /** OpenSSH public key line, `ssh-ed25519 AAAA... comment`. */
  publicKey: string;
}

export interface SimSshKeys {
  hostKey: KeyPairFiles;
  userKey: KeyPairFiles;
}

export const HOST_KEY_FILE = 'ssh_host_ed25519_key';
export const USER_KEY_FILE = 'id_ed25519';

async function readIfPresent(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

async function ensureKeyPair(dir: string, name: string, comment: string): Promise<KeyPairFiles> {
  const privateKeyPath = join(dir, name);
  const publicKeyPath = `${privateKeyPath}.pub`;
  const [existingPrivate, existingPublic] = await Promise.all([
    readIfPresent(privateKeyPath),
    readIfPresent(publicKeyPath),
  ]);
  if (existingPrivate && existingPublic) {
    return { privateKeyPath, publicKeyPath, privateKey: existingPrivate, publicKey: existingPublic.trim() };
  }
  const pair = utils.generateKeyPairSync('ed25519', { comment });
  await writeFile(privateKeyPath, pair.private, { mode: 0o600 });
  await chmod(privateKeyPath, 0o600); // mode above only applies when the file is new
  await writeFile(publicKeyPath, `${pair.public}\n`, { mode: 0o644 });
  return { privateKeyPath, publicKeyPath, privateKey: pair.private, publicKey: pair.public };
}

/** Create (or load) the sim's ed25519 host key and the user's ed25519 key pair in `dir`. */
export async function ensureSimSshKeys(dir: string): Promise<SimSshKeys> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const hostKey = await ensureKeyPair(dir, HOST_KEY_FILE, 'vsweep-sim host');
  const userKey = await ensureKeyPair(dir, USER_KEY_FILE, 'vsweep-sim user');
  return { hostKey, userKey };
}

export interface ClientConfigOptions {
  hostAlias?: string;
  host: string;
  port: number;
  user: string;
  identityFile: string;
  knownHostsFile: string;
  /** Host public key line; default: `<dir>/ssh_host_ed25519_key.pub`. */
  hostPublicKey?: string;
}

export interface ClientConfigFiles {
  configPath: string;
  knownHostsPath: string;
}

/** OpenSSH quotes config values with double quotes; paths with spaces need them. */
function configValue(value: string): string {
  return /[\s"]/.test(value) ? `"${value.replace(/"/g, '')}"` : value;
}

/** The known_hosts line OpenSSH looks up for host:port. */
export function knownHostsLine(host: string, port: number, hostPublicKey: string): string {
  const [keyType, keyBase64] = hostPublicKey.trim().split(/\s+/);
  const name = port === 22 ? host : `[${host}]:${port}`;
  return `${name} ${keyType} ${keyBase64}`;
}

/** Write `<dir>/config` (Host vsweep-sim) and the known_hosts file it names, so `ssh -F` just works. */
export async function writeClientConfig(
  dir: string,
  options: ClientConfigOptions,
): Promise<ClientConfigFiles> {
  const hostAlias = options.hostAlias ?? 'vsweep-sim';
  const hostPublicKey = options.hostPublicKey ?? (await readFile(join(dir, `${HOST_KEY_FILE}.pub`), 'utf8'));
  const config = [
    `Host ${hostAlias}`,
    `  HostName ${options.host}`,
    `  Port ${options.port}`,
    `  User ${options.user}`,
    `  IdentityFile ${configValue(options.identityFile)}`,
    '  IdentitiesOnly yes',
    `  UserKnownHostsFile ${configValue(options.knownHostsFile)}`,
    '  StrictHostKeyChecking yes',
    '  LogLevel ERROR',
    '',
  ].join('\n');
  const configPath = join(dir, 'config');
  // ssh refuses a config that others can write; 0600 like ~/.ssh/config.
  await writeFile(configPath, config, { mode: 0o600 });
  await chmod(configPath, 0o600);
  await writeFile(options.knownHostsFile, `${knownHostsLine(options.host, options.port, hostPublicKey)}\n`);
  return { configPath, knownHostsPath: options.knownHostsFile };
}
