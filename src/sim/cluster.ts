// The simulated cluster as one piece: a login node reached over SSH (real sshd protocol, ssh2 server)
// whose shell has qsub/qstat/qdel/qselect, and compute nodes whose PATH has a simulated `vllm`.
import { chmodSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { shQuote } from '../lib/shell';
import { startPbsSim } from './pbs/server';
import { ensureSimSshKeys, writeClientConfig } from './ssh/keys';
import { startSimSshServer, type SimSshServer } from './ssh/server';

export interface SimClusterOptions {
  dir: string;
  /** 0 picks a free port. */
  sshPort?: number;
  user?: string;
  historyEnabled?: boolean;
  /** Loopback prefix of the compute nodes; default a random `127.a.b.` so that simulators running
   * side by side (parallel tests) never reach each other's servers on port 8000. */
  nodeAddressPrefix?: string;
  /** Environment of every simulated server started from now on (e.g. VSWEEP_SIM_SLOWDOWN). */
  jobEnv?: Record<string, string>;
}

export interface SimCluster {
  dir: string;
  user: string;
  sshPort: number;
  identityFile: string;
  knownHostsFile: string;
  /** OpenSSH client config with `Host vsweep-sim`. */
  sshConfigFile: string;
  /** The login node's PBS commands, for a worker that runs "on the login node" (local shell). */
  binDir: string;
  homeDir: string;
  pbs: Awaited<ReturnType<typeof startPbsSim>>;
  ssh: SimSshServer;
  /** Replace the environment of servers started from now on; running ones keep theirs. */
  setJobEnv(env: Record<string, string>): void;
  close(): Promise<void>;
}

const SIM_VLLM_MAIN = resolve(__dirname, 'vllm', 'main.js');

export async function startSimCluster(opts: SimClusterOptions): Promise<SimCluster> {
  const dir = resolve(opts.dir);
  const user = opts.user ?? 'alice';
  const homeDir = join(dir, 'home');
  const nodeBinDir = join(dir, 'nodebin');
  mkdirSync(homeDir, { recursive: true });
  writeNodeBin(nodeBinDir);
  const setJobEnv = (env: Record<string, string>) => writeJobEnv(nodeBinDir, env);
  setJobEnv(opts.jobEnv ?? {});

  const randomOctet = () => 2 + Math.floor(Math.random() * 250);
  const pbs = await startPbsSim({
    dir,
    user,
    nodeBinDir,
    historyEnabled: opts.historyEnabled ?? true,
    nodeAddressPrefix: opts.nodeAddressPrefix ?? `127.${randomOctet()}.${randomOctet()}.`,
  });
  const keys = await ensureSimSshKeys(join(dir, 'ssh'));
  const ssh = await startSimSshServer({
    host: '127.0.0.1',
    port: opts.sshPort ?? 0,
    hostKey: keys.hostKey.privateKey,
    authorizedKeys: [keys.userKey.publicKey],
    username: user,
    shell: {
      cwd: homeDir,
      env: { HOME: homeDir, USER: user, LOGNAME: user, PATH: `${pbs.binDir}:/usr/local/bin:/usr/bin:/bin` },
    },
    // The login node resolves compute node names: each simulated node has its own loopback address.
    resolveHost: (host) => pbs.nodeAddress(host) ?? host,
  });
  const client = await writeClientConfig(join(dir, 'ssh'), {
    hostAlias: 'vsweep-sim',
    host: '127.0.0.1',
    port: ssh.port,
    user,
    identityFile: keys.userKey.privateKeyPath,
    knownHostsFile: join(dir, 'ssh', 'known_hosts'),
  });
  const sim: SimCluster = {
    dir,
    user,
    sshPort: ssh.port,
    identityFile: keys.userKey.privateKeyPath,
    knownHostsFile: client.knownHostsPath,
    sshConfigFile: client.configPath,
    binDir: pbs.binDir,
    homeDir,
    pbs,
    ssh,
    setJobEnv,
    async close() {
      await ssh.close();
      await pbs.close();
    },
  };
  writeFileSync(
    join(dir, 'sim.json'),
    JSON.stringify(
      { pid: process.pid, sshPort: ssh.port, user, sshConfigFile: sim.sshConfigFile, binDir: pbs.binDir },
      null,
      2,
    ),
  );
  return sim;
}

const JOB_ENV_FILE = 'job-env.sh';

/** The compute nodes' site environment, read by every `vllm` at launch (as a node's /etc/profile.d). */
function writeJobEnv(nodeBinDir: string, env: Record<string, string>): void {
  const lines = Object.entries(env).map(([name, value]) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`jobEnv: '${name}' is not a variable name`);
    return `export ${name}=${shQuote(value)}`;
  });
  // Replaced atomically: a job starting meanwhile reads the old file or the new one, never half of one.
  const tmp = join(nodeBinDir, `.${JOB_ENV_FILE}.tmp`);
  writeFileSync(tmp, lines.join('\n') + '\n');
  renameSync(tmp, join(nodeBinDir, JOB_ENV_FILE));
}

/** What a compute node has on PATH: the simulated `vllm`, and a `hostname` that names the node. */
function writeNodeBin(nodeBinDir: string): void {
  mkdirSync(nodeBinDir, { recursive: true });
  const envFile = JSON.stringify(join(nodeBinDir, JOB_ENV_FILE));
  const files: Record<string, string> = {
    vllm: `#!/bin/sh\n[ -f ${envFile} ] && . ${envFile}\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(SIM_VLLM_MAIN)} "$@"\n`,
    hostname: [
      '#!/bin/sh',
      '# The simulated node: its PBS name, or its loopback address with -i/-I.',
      'case "$1" in -i|-I) echo "${VSWEEP_SIM_NODE_ADDR:-127.0.0.1}" ;; *) echo "${VSWEEP_SIM_NODE:-localhost}" ;; esac',
      '',
    ].join('\n'),
  };
  for (const [name, text] of Object.entries(files)) {
    const path = join(nodeBinDir, name);
    writeFileSync(path, text);
    chmodSync(path, 0o755);
  }
}
