import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  createTransport,
  LocalShellTransport,
  SshTransport,
  TransportPool,
  transportKey,
  type Transport,
  type TransportConfig,
} from '../../src/transport';

const ssh: TransportConfig = { kind: 'ssh', host: 'login01', username: 'alice', identityFile: '/k/id' };

describe('createTransport and TransportPool', () => {
  it('builds the transport the config names, without connecting', async () => {
    const remote = createTransport({ ...ssh, port: 2222 });
    assert.ok(remote instanceof SshTransport);
    assert.equal(remote.description, 'alice@login01:2222');
    assert.ok(createTransport({ kind: 'local' }) instanceof LocalShellTransport);
    await remote.close();
  });

  it('keys configs independently of property order and undefined fields', () => {
    assert.equal(
      transportKey({
        kind: 'ssh',
        username: 'alice',
        identityFile: '/k/id',
        host: 'login01',
        port: undefined,
      }),
      transportKey(ssh),
    );
    assert.notEqual(transportKey({ ...ssh, port: 2222 }), transportKey(ssh));
  });

  it('shares one transport per config and closes them all', async () => {
    const closed: string[] = [];
    const fake = (config: TransportConfig): Transport => ({
      description: transportKey(config),
      exec: async () => ({ stdout: '', stderr: '', code: 0 }),
      openTunnel: async (host, port) => ({ host, port, close: async () => undefined }),
      close: async () => {
        closed.push(config.kind);
      },
    });
    const pool = new TransportPool({}, fake);
    assert.equal(pool.get(ssh), pool.get({ ...ssh }));
    assert.notEqual(pool.get(ssh), pool.get({ kind: 'local' }));
    assert.equal(pool.size, 2);
    await pool.closeAll();
    assert.deepEqual(closed.sort(), ['local', 'ssh']);
    assert.equal(pool.size, 0);
  });
});
