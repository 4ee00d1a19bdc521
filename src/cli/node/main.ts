#!/usr/bin/env node
// The hip-engine command-line tool: `demo` (a simulated scenario with a readable timeline,
// pcap, trace and diagram output), `live` (two processes running HIP over UDP) and `keygen`.
// Exit codes: 0 success, 1 runtime failure, 2 bad arguments.
import { realpathSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { formatHit } from '../../addr/hit.js';
import { derToPem } from '../../crypto/der.js';
import { exportPkcs8, generateHostIdentity } from '../../crypto/host-id.js';
import { defaultRandom } from '../../crypto/noble.js';
import type { HostKeyType } from '../../crypto/provider.js';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, RuntimeFailure, UsageError, flag, parse, str } from './args.js';
import { DEMO_HELP, parseDemo, runDemo } from './demo.js';
import { LIVE_HELP, parseLive, runLive, type Io } from './live.js';

const VERSION = '0.1.0';

const MAIN_HELP = `Usage: hip-engine <command> [options]

A sans-I/O Host Identity Protocol v2 engine (RFC 7401, RFC 7402, RFC 9028), with a simulator.

Commands:
  demo      run a scenario in the deterministic simulator and print the timeline
            (also writes pcap, JSON-lines trace and Mermaid diagram files)
  live      run HIP for real over UDP between two processes (--listen / --connect)
  keygen    write a host identity key (PKCS#8 PEM) and print its HIT
  help      show help for a command

Run "hip-engine <command> --help" for the options of a command.
Exit codes: 0 success, 1 runtime failure, 2 bad arguments.`;

const KEYGEN_HELP = `Usage: hip-engine keygen --out FILE.pem [--type TYPE] [--force]

Generates a host identity key pair, writes the private key as PKCS#8 PEM (mode 0600) and prints
"HIT <hit>". Use the file with "hip-engine live --key FILE.pem" for a stable HIT.

Options:
  --out FILE.pem   where to write the key (required)
  --type TYPE      ecdsa-p256 (default), ecdsa-p384, ed25519 or rsa
  --force          overwrite FILE.pem if it exists (without it, an existing key is kept and
                   keygen exits 1: a key is an identity, and its HIT is what peers know)
  -h, --help       this text`;

const KEY_TYPES: readonly HostKeyType[] = ['ecdsa-p256', 'ecdsa-p384', 'ed25519', 'rsa'];

function keygen(args: readonly string[], io: Io): number {
  const p = parse(args, { out: { type: 'string' }, type: { type: 'string' }, force: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } });
  if (flag(p, 'help')) {
    io.out(KEYGEN_HELP);
    return EXIT_OK;
  }
  const out = str(p, 'out');
  if (out === undefined || out === '') throw new UsageError('--out FILE.pem is required');
  const type = (str(p, 'type') ?? 'ecdsa-p256') as HostKeyType;
  if (!KEY_TYPES.includes(type)) throw new UsageError(`--type expects one of ${KEY_TYPES.join(', ')}, got ${JSON.stringify(type)}`);
  const id = generateHostIdentity(type, defaultRandom);
  try {
    // 'wx' fails if the file exists, atomically: no check-then-write race.
    writeFileSync(out, derToPem(exportPkcs8(id), 'PRIVATE KEY'), { mode: 0o600, flag: flag(p, 'force') ? 'w' : 'wx' });
  } catch (e) {
    if ((e as { code?: unknown }).code === 'EEXIST') throw new RuntimeFailure(`${out} exists; pass --force to overwrite it (the HIT of the key in it would change)`);
    throw new RuntimeFailure(`cannot write ${out}: ${e instanceof Error ? e.message : String(e)}`);
  }
  io.out(`HIT ${formatHit(id.hit)}`);
  return EXIT_OK;
}

const COMMANDS = ['demo', 'live', 'keygen', 'help'] as const;

/** Runs the CLI on `argv` (without node and the script); resolves to the exit code. */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case undefined:
        io.err(MAIN_HELP);
        return EXIT_USAGE;
      case '-h':
      case '--help':
        io.out(MAIN_HELP);
        return EXIT_OK;
      case '--version':
      case '-V':
        io.out(VERSION);
        return EXIT_OK;
      case 'help': {
        const topic = rest[0];
        if (topic === undefined) io.out(MAIN_HELP);
        else if (topic === 'demo') io.out(DEMO_HELP);
        else if (topic === 'live') io.out(LIVE_HELP);
        else if (topic === 'keygen') io.out(KEYGEN_HELP);
        else throw new UsageError(`unknown command ${JSON.stringify(topic)}`);
        return EXIT_OK;
      }
      case 'demo': {
        const cfg = parseDemo(rest);
        if (cfg === 'help') {
          io.out(DEMO_HELP);
          return EXIT_OK;
        }
        return runDemo(cfg, io);
      }
      case 'live': {
        const cfg = parseLive(rest);
        if (cfg === 'help') {
          io.out(LIVE_HELP);
          return EXIT_OK;
        }
        return await runLive(cfg, io);
      }
      case 'keygen':
        return keygen(rest, io);
      default:
        throw new UsageError(`unknown command ${JSON.stringify(command)} (commands: ${COMMANDS.join(', ')})`);
    }
  } catch (e) {
    // One message style for every command: "hip-engine <command>: <what went wrong>" on stderr,
    // as demo and live print their own failures.
    const who = command !== undefined && (COMMANDS as readonly string[]).includes(command) ? `hip-engine ${command}` : 'hip-engine';
    if (e instanceof UsageError) {
      io.err(`${who}: ${e.message}`);
      io.err(`Run "${command === 'help' ? 'hip-engine' : who} --help" for usage.`);
      return EXIT_USAGE;
    }
    io.err(`${who}: ${e instanceof RuntimeFailure ? e.message : e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    return EXIT_FAILURE;
  }
}

const io: Io = {
  out: (line) => {
    process.stdout.write(`${line}\n`);
  },
  err: (line) => {
    process.stderr.write(`${line}\n`);
  },
};

/** True when this module is the program (node dist/cli/node/main.js, or the `hip-engine` bin link). */
function isMain(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return pathToFileURL(realpathSync(script)).href === import.meta.url;
  } catch {
    return false;
  }
}

if (isMain()) {
  void main(process.argv.slice(2), io).then((code) => {
    process.exitCode = code;
  });
}
