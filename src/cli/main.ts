// `switchyard`: the engine, headless, for CI, servers and scripted fleets.
import { constants as osConstants } from 'node:os';
import { InterruptedError, InvalidRequestError, UserError } from '../host/errors';
import { detachGitFromTerminal } from '../host/worktrees/git';
import { terminalSafe, terminalSafeJson } from '../host/util/terminalText';
import { asksHelp, helpText, parseArgs, UsageError, type CommandSpec, type ParsedFlags } from './args';
import { END_SIGNALS, endStartingSignals, onStartingSignals, type EndSignal } from './endSignals';
import { wrapLine } from './helpWrap';
import { replayCommand, replaySpec } from './commands/replay';
import { reportCommand, reportSpec } from './commands/report';
import { runCommand, runSpec } from './commands/run';
import { discardCommand, discardSpec, mergeCommand, mergeSpec, resumeCommand, resumeSpec } from './commands/sessionActions';
import { sessionsCommand, sessionsSpec } from './commands/sessions';
import { traceCommand, traceSpec } from './commands/trace';

type Out = (s: string) => void;
interface Command {
  spec: CommandSpec;
  run(flags: ParsedFlags, positionals: string[], out: Out, err: Out): Promise<number>;
}

const COMMANDS: readonly Command[] = [
  { spec: runSpec, run: (f, _p, out, err) => runCommand(f, out, err) },
  { spec: sessionsSpec, run: (f, _p, out, err) => sessionsCommand(f, out, err) },
  { spec: resumeSpec, run: (f, p, out, err) => resumeCommand(f, p, out, err) },
  { spec: mergeSpec, run: (f, p, out, err) => mergeCommand(f, p, out, err) },
  { spec: discardSpec, run: (f, p, out, err) => discardCommand(f, p, out, err) },
  { spec: reportSpec, run: (f, _p, out, err) => reportCommand(f, out, err) },
  { spec: replaySpec, run: (f, p, out) => replayCommand(f, p, out) },
  { spec: traceSpec, run: (f, p, out, err) => traceCommand(f, p, out, err) },
];

function overview(): string {
  return [
    `switchyard ${SWITCHYARD_VERSION}: run AI coding agents in git worktrees, with their spend metered and capped.`,
    '',
    'Usage: switchyard <command> [flags]',
    '',
    ...COMMANDS.map(c => `  ${c.spec.name.padEnd(10)} ${c.spec.summary}`),
    '',
    'Environment: OPENAI_API_KEY (the key), OPENAI_BASE_URL (an OpenAI-compatible server), SWITCHYARD_HOME (state folder, default ~/.switchyard).',
    '',
    'Exit status of run and resume: 0 done, 1 failed or stopped, 2 bad arguments, 3 paused (over budget, stuck or waiting), 130 interrupted before anything was made (a second Ctrl-C exits 130 at once; SIGTERM and SIGHUP while starting, 143 and 129); of merge and discard: 0 done, 1 not done (a conflict, work that would be lost), 2 bad arguments.',
    '',
    "Run 'switchyard <command> --help' for a command's flags.",
  ].flatMap(l => wrapLine(l, /^ {2}\S/.test(l) ? 13 : 0)).join('\n');
}

export async function main(argv: readonly string[], rawOut: Out, rawErr: Out): Promise<number> {
  const [name, ...rest] = argv;
  // What a model wrote, a command printed or a file held is printed as text, never as terminal control. A
  // JSON result keeps its values whole: what JSON leaves unescaped is escaped, not dropped.
  const jsonOut = rest.includes('--json');
  const out: Out = s => rawOut(terminalSafe(jsonOut ? terminalSafeJson(s) : s));
  const err: Out = s => rawErr(terminalSafe(s));
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    // `switchyard help run` as `switchyard run --help`.
    const topic = name === 'help' && rest[0] !== '--help' && rest[0] !== '-h' ? rest[0] : undefined;
    const asked = topic === undefined ? undefined : COMMANDS.find(c => c.spec.name === topic);
    if (topic !== undefined && !asked) {
      err(`switchyard help: unknown command "${topic}". Commands: ${COMMANDS.map(c => c.spec.name).join(', ')}.`);
      return 2;
    }
    out(asked ? helpText(asked.spec) : overview());
    return 0;
  }
  if (name === '--version' || name === '-v' || name === 'version') {
    out(SWITCHYARD_VERSION);
    return 0;
  }
  const command = COMMANDS.find(c => c.spec.name === name);
  if (!command) {
    err(`switchyard: unknown command "${name}". Commands: ${COMMANDS.map(c => c.spec.name).join(', ')}. See 'switchyard --help'.`);
    return 2;
  }
  if (asksHelp(command.spec, rest)) {
    out(helpText(command.spec));
    return 0;
  }
  // Looked for before the flags are parsed: a bad flag beside it is a refusal the script asked JSON for.
  const json = rest.includes('--json') && 'json' in command.spec.flags;
  try {
    const { flags, positionals } = parseArgs(command.spec, rest);
    return await command.run(flags, positionals, out, err);
  } catch (e) {
    // A script that asked for JSON gets an object on stdout for a refusal too, not only a line on stderr, in
    // the shape merge's own refusals have.
    const refused = (message: string) => json && out(JSON.stringify({ ok: false, reason: 'error', message }));
    // Told to stop before the work began (Ctrl-C): as a second Ctrl-C ends a run.
    if (e instanceof InterruptedError) {
      err(`switchyard ${name}: ${e.message}`);
      refused(e.message);
      return 130;
    }
    if (e instanceof UsageError || e instanceof InvalidRequestError) {
      err(`switchyard ${name}: ${e.message}`);
      refused(e.message);
      return 2;
    }
    // A system error (a file that is a folder, a home that cannot be made) is about the input or the
    // machine, and its message names both: a stack trace would only hide it.
    if (e instanceof UserError || isSystemError(e)) {
      err(`switchyard ${name}: ${e.message}`);
      refused(e.message);
      return 1;
    }
    err(`switchyard ${name}: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
    return 1;
  }
}

function isSystemError(e: unknown): e is NodeJS.ErrnoException {
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string' && typeof (e as NodeJS.ErrnoException).syscall === 'string';
}

/** Runs the CLI on this process's arguments and streams; sets the exit status. */
export function runCli(): void {
  // A terminal's Ctrl-C is the CLI's to act on (it pauses), not a git's half-way through its work.
  detachGitFromTerminal();
  const out = lineWriter(process.stdout);
  const err = lineWriter(process.stderr);
  const argv = process.argv.slice(2);
  onStartingSignals(signal => endedWhileStarting(argv, signal, out, err));
  main(argv, out, err).then(
    code => {
      endStartingSignals();
      process.exitCode = code;
      // Done, but the process may take a moment to wind down (sockets closing): a signal then ends it
      // with the run's own status, not Node's default (130, 143).
      for (const signal of END_SIGNALS) process.on(signal, () => process.exit(code));
    },
    e => {
      endStartingSignals();
      err(`switchyard: ${e instanceof Error ? e.message : String(e)}`);
      process.exitCode = 1;
    },
  );
}

/**
 * A signal while the CLI starts (its engine not yet up: nothing of the command's is made) ends it at once,
 * as Node's default would, but said, and as JSON where the script asked for it, rather than in silence.
 */
function endedWhileStarting(argv: readonly string[], signal: EndSignal, rawOut: Out, rawErr: Out): void {
  const command = COMMANDS.find(c => c.spec.name === argv[0]);
  const message = `Interrupted (${signal}) while starting, before its work began.`;
  rawErr(`switchyard${command ? ` ${command.spec.name}` : ''}: ${message}`);
  if (command && 'json' in command.spec.flags && argv.includes('--json')) rawOut(JSON.stringify({ ok: false, reason: 'error', message }));
  // As a shell reports a process the signal ended: 128 and its number (130 for Ctrl-C).
  process.exit(128 + osConstants.signals[signal]);
}

/**
 * Writes lines to `stream` until it fails, then drops them. A reader that went away (`| head`, a log pipe
 * that closed) makes the write fail with EPIPE, emitted as an 'error' that, unhandled, would kill the
 * process mid-run: between making a worktree and recording its session, or after committing the work.
 * The run must go on to its end and its exit status; with nobody reading, there is nobody to tell.
 */
function lineWriter(stream: NodeJS.WritableStream): Out {
  let closed = false;
  stream.on('error', () => {
    closed = true;
  });
  return s => {
    if (!closed) stream.write(`${s}\n`);
  };
}
