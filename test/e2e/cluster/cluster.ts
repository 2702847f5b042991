// A cluster in a box, for the end-to-end test: each "pod" is a network
// namespace with one address from 198.18.0.0/15 (reserved for network tests;
// only these namespaces carry it), wired to this host by a veth pair and a
// /32 route, as Calico wires pods. A "Service" is a virtual address that
// iptables DNATs to the ready pods, as kube-proxy does; a controller polls each
// pod's /readyz and rewrites the rules. "Cluster DNS" is dnsmasq in a pod of its
// own, and every pod's resolv.conf has Kubernetes' search path and ndots:5.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { run, type Spawned } from '../helpers.js';

export interface Pod {
  readonly name: string;
  readonly ns: string;
  readonly ip: string;
  readonly processes: Spawned[];
}

const sh = (cmd: string, args: string[]) => execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
const trySh = (cmd: string, args: string[]) => {
  try {
    sh(cmd, args);
  } catch {
    // already gone
  }
};

/** Why this machine cannot run the test, or undefined when it can. */
export function missingPrerequisite(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces, iptables)';
  for (const [tool, args] of [
    ['ip', ['-V']],
    ['iptables', ['--version']],
    ['dnsmasq', ['--version']],
  ] as const) {
    try {
      sh(tool, [...args]);
    } catch {
      return `${tool} is not installed (.ci/run installs iproute2, iptables and dnsmasq-base)`;
    }
  }
  return undefined;
}

export class Cluster {
  /** Short and unique per run: interface names are limited to 15 characters. */
  readonly id = `l${(process.pid % 9000) + 1000}`;
  private readonly octet = process.pid % 250;
  readonly serviceIp = `198.19.${this.octet}.1`;
  private readonly chain = `LL-${this.id}`;
  private readonly pods: Pod[] = [];
  private nextHost = 2;
  private dnsIp?: string;
  private ready = new Set<string>();
  private polling = false;
  private poller?: Promise<void>;
  /** net.ipv4.ip_forward as this host had it before dns() turned it on; destroy() puts it back. */
  private ipForward?: string;

  /** A pod: a namespace with eth0 = its address, a default route to this host, and cluster DNS. */
  pod(name: string): Pod {
    const ns = `${this.id}-${name}`;
    const host = `${this.id}${name}`.slice(0, 15);
    const ip = `198.18.${this.octet}.${this.nextHost++}`;
    sh('ip', ['netns', 'add', ns]);
    const pod: Pod = { name, ns, ip, processes: [] };
    this.pods.push(pod);
    sh('ip', ['link', 'add', host, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
    sh('ip', ['link', 'set', host, 'up']);
    sh('ip', ['addr', 'add', '169.254.1.1/32', 'dev', host]);
    sh('ip', ['-n', ns, 'addr', 'add', `${ip}/32`, 'dev', 'eth0']);
    sh('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
    sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    sh('ip', ['-n', ns, 'route', 'add', '169.254.1.1', 'dev', 'eth0']);
    sh('ip', ['-n', ns, 'route', 'add', 'default', 'via', '169.254.1.1', 'dev', 'eth0']);
    sh('ip', ['route', 'add', `${ip}/32`, 'dev', host]);
    if (this.dnsIp) this.resolvConf(ns);
    return pod;
  }

  /** `ip netns exec` bind-mounts /etc/netns/<ns>/resolv.conf over /etc/resolv.conf for that pod. */
  private resolvConf(ns: string) {
    mkdirSync(`/etc/netns/${ns}`, { recursive: true });
    writeFileSync(
      `/etc/netns/${ns}/resolv.conf`,
      `search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver ${this.dnsIp}\noptions ndots:5\n`,
    );
  }

  /** The pods' subnet. */
  private get subnet() {
    return `198.18.${this.octet}.0/24`;
  }

  /**
   * The fence: forwarded packets from the pods go to other pods only. A
   * connection to the Service address that no rule DNATed (no ready pod) is
   * rejected here with a reset; nothing from the pods ever leaves this host.
   */
  private fence(add: boolean) {
    const rules = [
      ['-s', this.subnet, '!', '-d', this.subnet, '-p', 'tcp', '-j', 'REJECT', '--reject-with', 'tcp-reset'],
      ['-s', this.subnet, '!', '-d', this.subnet, '-j', 'REJECT'],
    ];
    for (const rule of add ? rules.reverse() : rules)
      (add ? sh : trySh)('iptables', [add ? '-I' : '-D', 'FORWARD', ...rule]);
  }

  /** Cluster DNS: `<service>.default.svc.cluster.local` for each service, NXDOMAIN for every other name. */
  async dns(services: Record<string, string>): Promise<void> {
    this.ipForward ??= sh('sysctl', ['-n', 'net.ipv4.ip_forward']).trim();
    sh('sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
    this.fence(true);
    const pod = this.pod('dns');
    this.dnsIp = pod.ip;
    const records = Object.entries(services).map(([name, ip]) => `--address=/${name}.default.svc.cluster.local/${ip}`);
    const dnsmasq = this.exec(pod, 'dnsmasq', [
      '--keep-in-foreground',
      '--no-resolv',
      '--no-hosts',
      `--listen-address=${pod.ip}`,
      '--bind-interfaces',
      '--local=/cluster.local/',
      '--address=/#/',
      '--pid-file=',
      '--user=root',
      '--log-facility=-',
      ...records,
    ]);
    await new Promise((r) => setTimeout(r, 300));
    if (dnsmasq.child.exitCode !== null) throw new Error(`dnsmasq did not start:\n${dnsmasq.lines.join('\n')}`);
  }

  exec(pod: Pod, command: string, args: string[], env: Record<string, string> = {}): Spawned {
    const spawned = run('ip', ['netns', 'exec', pod.ns, command, ...args], { env: { ...process.env, ...env } });
    pod.processes.push(spawned);
    return spawned;
  }

  /** The Service: DNAT from serviceIp:port to the ready endpoints, kept current by a readiness poller. */
  service(port: number, targetPort: number, candidates: () => Pod[]): void {
    sh('iptables', ['-t', 'nat', '-N', this.chain]);
    sh('iptables', ['-t', 'nat', '-A', 'PREROUTING', '-d', `${this.serviceIp}/32`, '-j', this.chain]);
    this.program(port, targetPort, []);
    this.polling = true;
    this.poller = (async () => {
      while (this.polling) {
        const pods = candidates();
        const states = await Promise.all(pods.map((p) => this.isReady(p, targetPort)));
        const ready = pods.filter((_, i) => states[i]);
        const key = new Set(ready.map((p) => p.ip));
        if (key.size !== this.ready.size || [...key].some((ip) => !this.ready.has(ip))) {
          this.program(port, targetPort, ready);
          this.ready = key;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
  }

  readyEndpoints(): string[] {
    return [...this.ready];
  }

  private isReady(pod: Pod, port: number): Promise<boolean> {
    return new Promise((resolve) => {
      const req = http.get({ host: pod.ip, port, path: '/readyz', agent: false, timeout: 500 }, (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      });
      req.on('error', () => resolve(false));
      req.on('timeout', () => req.destroy());
    });
  }

  /**
   * Rewrites the Service chain like kube-proxy: random spread over the ready
   * pods. With none, nothing is DNATed and the fence rejects the connection
   * (kube-proxy rejects a Service without endpoints the same way).
   */
  private program(port: number, targetPort: number, ready: Pod[]) {
    // One atomic batch, as kube-proxy does with iptables-restore: a flush
    // followed by separate appends would leave a moment with no rule at all.
    const lines = ['*nat', `:${this.chain} - [0:0]`];
    ready.forEach((pod, i) => {
      const left = ready.length - i;
      const spread = left > 1 ? `-m statistic --mode random --probability ${(1 / left).toFixed(5)} ` : '';
      lines.push(
        `-A ${this.chain} -p tcp -m tcp --dport ${port} ${spread}-j DNAT --to-destination ${pod.ip}:${targetPort}`,
      );
    });
    lines.push('COMMIT', '');
    execFileSync('iptables-restore', ['--noflush'], { input: lines.join('\n'), stdio: ['pipe', 'pipe', 'pipe'] });
  }

  /** Removes every namespace, link, route, rule, file and process this cluster made. */
  async destroy(): Promise<void> {
    this.polling = false;
    await this.poller;
    for (const pod of this.pods)
      for (const p of pod.processes)
        if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await Promise.all(this.pods.flatMap((pod) => pod.processes.map((p) => p.exited)));
    this.fence(false);
    trySh('iptables', ['-t', 'nat', '-D', 'PREROUTING', '-d', `${this.serviceIp}/32`, '-j', this.chain]);
    trySh('iptables', ['-t', 'nat', '-F', this.chain]);
    trySh('iptables', ['-t', 'nat', '-X', this.chain]);
    for (const pod of this.pods) {
      trySh('ip', ['link', 'del', `${this.id}${pod.name}`.slice(0, 15)]);
      trySh('ip', ['netns', 'del', pod.ns]);
      rmSync(`/etc/netns/${pod.ns}`, { recursive: true, force: true });
    }
    if (this.ipForward !== undefined) trySh('sysctl', ['-qw', `net.ipv4.ip_forward=${this.ipForward}`]);
  }
}
