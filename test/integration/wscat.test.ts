import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { expect } from 'chai';
import { REPO_ROOT } from '../support/app-process.js';
import { ChatClient } from '../support/chat-client.js';
import { startSystem, type TestSystem } from '../support/system.js';
import { registerUser } from '../support/users.js';
import { eventually } from '../support/wait.js';

/** The README's walk-through works with the real wscat: Bearer header, JSON lines in and out. */
describe('wscat as a client', function () {
  this.timeout(60_000);
  let system: TestSystem;

  before(async () => {
    system = await startSystem({ edges: 2, persisters: 1 });
  });

  after(async () => {
    await system?.stop();
  });

  it('connects with -H "Authorization: Bearer …", sends a message and receives one', async () => {
    const alice = await registerUser(system.auth.url, 'alice');
    const bob = await registerUser(system.auth.url, 'bob');
    const bobClient = await ChatClient.connect(system.edges[1]?.url ?? '', bob.accessToken);
    const { conversation } = await bobClient.request('conversation.open_direct', { userId: alice.id });

    const wscat = spawn(
      process.execPath,
      [
        join(REPO_ROOT, 'node_modules/wscat/bin/wscat'),
        '--no-color',
        '-c',
        `${system.edges[0]?.url.replace('http', 'ws')}/ws`,
        '-H',
        `Authorization: Bearer ${alice.accessToken}`,
      ],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    let output = '';
    wscat.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    wscat.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    try {
      await eventually('session.ready from wscat', () => output.includes('"type":"session.ready"'), 10_000, 50);
      wscat.stdin.write(
        `${JSON.stringify({ type: 'message.send', ref: 'w1', conversationId: conversation.id, body: 'hi from wscat' })}\n`,
      );
      await eventually(
        'the ack in wscat',
        () => /"type":"ack","ref":"w1","messageId":"[0-9a-f-]{36}"/.test(output),
        10_000,
        50,
      );
      const received = await bobClient.waitFor((f) => f.type === 'message.new' && f.message.body === 'hi from wscat');
      expect(received.message.senderId).to.equal(alice.id);

      await bobClient.request('message.send', { conversationId: conversation.id, body: 'hello wscat' });
      await eventually('the push in wscat', () => output.includes('"body":"hello wscat"'), 10_000, 50);
    } finally {
      wscat.kill();
      bobClient.close();
    }
  });
});
