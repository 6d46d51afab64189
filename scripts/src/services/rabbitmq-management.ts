import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { execFileAsync } from './commands.js';
import { isPortOpen } from './net.js';

/** How to reach one RabbitMQ node with its own CLI tools. */
export interface RabbitNode {
  /** `rabbitmqctl` that holds the node's Erlang cookie (the /usr/sbin wrapper for the system node). */
  ctl: string;
  /** Erlang node name; the CLI's default node when omitted. */
  nodeName?: string;
  /** The node's config file, where the loopback binding is written to survive a restart. */
  configFile?: string;
}

/** A node that has just opened its ports may take a few seconds more to answer its CLI. */
const CLI_PATIENCE_MS = 15_000;

/** Evaluates an Erlang expression in the node, retrying while it is not yet reachable. */
async function evaluate(node: RabbitNode, expression: string): Promise<void> {
  const deadline = Date.now() + CLI_PATIENCE_MS;
  for (;;) {
    try {
      await execFileAsync(node.ctl, [...(node.nodeName ? ['-n', node.nodeName] : []), 'eval', expression]);
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(1_000);
    }
  }
}

/** This machine's addresses other hosts can reach (link-local ones need a scope, and are left out). */
export function externalAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flat()
    .filter((entry) => entry !== undefined && !entry.internal && !entry.address.startsWith('fe80:'))
    .map((entry) => (entry as { address: string }).address);
}

/**
 * The addresses other than loopback where `port` answers. Asked of the socket itself, not of
 * `rabbitmq-diagnostics listeners`, which reports the configured interface (`[::]`) even when
 * the console listens on 127.0.0.1.
 */
export async function exposedAddresses(port: number): Promise<string[]> {
  const addresses = externalAddresses();
  const open = await Promise.all(addresses.map((address) => isPortOpen(address, port)));
  return addresses.filter((_, i) => open[i]);
}

/**
 * Keeps the management console (its API can read and delete every queue) on 127.0.0.1 of a
 * broker this machine runs: RabbitMQ's own default is every interface. The node's config file
 * gets `management.tcp.ip`, so a broker restart keeps it. A console already on loopback alone
 * needs nothing more, and costs no CLI call (about a second each). Otherwise the binding is set
 * in the running node: before the plugin starts (persistent, so enabling the plugin keeps it),
 * or, for a console already listening elsewhere, followed by a restart of the console.
 */
export async function keepManagementOnLoopback(
  node: RabbitNode,
  managementPort: number,
  log: (line: string) => void,
): Promise<void> {
  if (node.configFile && existsSync(node.configFile)) {
    const config = readFileSync(node.configFile, 'utf8');
    if (!/^\s*management\.tcp\.ip\s*=/m.test(config)) {
      const lines = [`management.tcp.ip = 127.0.0.1`];
      if (!/^\s*management\.tcp\.port\s*=/m.test(config)) lines.push(`management.tcp.port = ${managementPort}`);
      appendFileSync(node.configFile, `${config.endsWith('\n') || config === '' ? '' : '\n'}${lines.join('\n')}\n`);
      log(`RabbitMQ management bound to 127.0.0.1 in ${node.configFile}`);
    }
  }
  const exposed = await exposedAddresses(managementPort);
  if (exposed.length === 0 && (await isPortOpen('127.0.0.1', managementPort))) return;
  const tcpConfig = `[{port, ${managementPort}}, {ip, "127.0.0.1"}]`;
  await evaluate(node, `application:set_env(rabbitmq_management, tcp_config, ${tcpConfig}, [{persistent, true}]).`);
  if (exposed.length === 0) return;
  log(`RabbitMQ management listens on ${exposed.join(', ')}: restarting it on 127.0.0.1`);
  await evaluate(node, 'ok = application:stop(rabbitmq_management), ok = application:start(rabbitmq_management).');
}
