import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { postWebhook, WebhookFailed } from '../../src/regression';

describe('postWebhook', () => {
  let server: Server;
  let base: string;
  const received: { path: string; contentType?: string; body: string }[] = [];

  before(async () => {
    server = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        received.push({ path: req.url ?? '', contentType: req.headers['content-type'], body });
        if (req.url?.startsWith('/hang')) return; // never answers: the client's timeout must end it
        res.statusCode = req.url?.startsWith('/bad') ? 400 : 200;
        res.end(req.url?.startsWith('/bad') ? 'invalid_blocks' : 'ok');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('posts the payload as JSON', async () => {
    await postWebhook(`${base}/services/T0/B0/secret`, { text: 'hi', blocks: [] });
    const last = received.at(-1)!;
    assert.equal(last.path, '/services/T0/B0/secret');
    assert.equal(last.contentType, 'application/json');
    assert.deepEqual(JSON.parse(last.body), { text: 'hi', blocks: [] });
  });

  it('fails with the status and body on a non-2xx answer, without the secret path', async () => {
    await assert.rejects(postWebhook(`${base}/bad/secret-token`, {}), (err: unknown) => {
      assert.ok(err instanceof WebhookFailed);
      assert.equal(err.code, 'VSWEEP_WEBHOOK_FAILED');
      assert.match(err.message, /HTTP 400: invalid_blocks/);
      assert.doesNotMatch(err.message, /secret-token/);
      return true;
    });
  });

  it('gives up after the timeout when the server never answers', async () => {
    const started = Date.now();
    await assert.rejects(
      postWebhook(`${base}/hang`, {}, { timeoutMs: 200 }),
      /no answer within 200 ms|timeout/i,
    );
    assert.ok(Date.now() - started < 5000);
  });

  it('fails when nothing listens', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    await assert.rejects(postWebhook(`http://127.0.0.1:${port}/x`, {}), WebhookFailed);
  });
});
