// Drives the real helper binary over its frames (main/pam/frames.ts) for the helper tests:
// spawn (optionally through setpriv or a wrapper), script the conversation, collect everything.
// Socket mode: the helper runs under `systemd-socket-activate --accept --inetd`
// (testkit/socket-activate.ts) and each run is a small relay process connected to it, so the
// caller is the relay's uid.
import { spawn, type ChildProcess } from 'node:child_process';
import type { SocketActivatedHelper } from '../../testkit/socket-activate';
import { encodeFrame, FrameDecoder, FrameError, FrameType, type Frame } from '../../main/pam/frames';

export const SUCCESS_RESULT = '0:PAM_SUCCESS:acct_mgmt';

/** What the test does when a prompt arrives. */
export type PromptAction =
  | { answer: string | Buffer }
  | { raw: Buffer } // bytes written as they are (malformed frames)
  | { cancel: true }
  | { closeStdin: true }
  | { kill: NodeJS.Signals }
  | { wait: true }; // do nothing: let the deadline or the test's own timer end it

export interface RunOptions {
  binary: string;
  env: Record<string, string>;
  service?: string;
  user?: string;
  /** Replaces the START frame with these bytes (null: send nothing). */
  start?: Buffer | null;
  /** Close stdin right after the first bytes. */
  closeAfterStart?: boolean;
  /** Called for each prompt, with how many prompts came before it. Default: cancel. */
  onPrompt?: (prompt: Frame, index: number) => PromptAction;
  /** Command prefix, e.g. ['setpriv', '--reuid=65534', ...]. */
  wrapper?: string[];
  /** The test's own bound on the run; the helper is SIGKILLed past it. */
  limitMs?: number;
  /** Called once the process is spawned. */
  onSpawn?: (child: ChildProcess) => void;
  /** Socket mode: connect to this helper socket through a relay instead of running `binary`. */
  socket?: SocketActivatedHelper;
}

export interface HelperRun {
  frames: Frame[];
  /** Payload of the RESULT frame, if one arrived. */
  result: string | null;
  /** Frames that followed RESULT (there must be none). */
  afterResult: number;
  status: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  decodeError: FrameError | null;
  ms: number;
  /** Run through the socket: `status` is the relay's, the helper's own exit status is not seen. */
  viaSocket: boolean;
  /** PROTOCOL.md's success rule, applied strictly, as main must apply it. */
  success: boolean;
  texts(type: FrameType): string[];
}

export function startFrame(service: string, user: string): Buffer {
  return encodeFrame(FrameType.START, Buffer.concat([Buffer.from(service), Buffer.from([0]), Buffer.from(user)]));
}

/** A frame header claiming `length`, followed by `body` (lengths that encodeFrame refuses). */
export function rawFrame(length: number, type: number, body: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(length >>> 0, 0);
  head.writeUInt8(type, 4);
  return Buffer.concat([head, body]);
}

/** Connects stdin/stdout to a unix socket (the test's stand-in for main's socket transport, so
 *  that a run can be made as any uid under setpriv). Half-closes on end of stdin. */
const SOCKET_RELAY_PY = `
import os, socket, sys, threading
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
def up():
    while True:
        d = os.read(0, 65536)
        if not d:
            break
        s.sendall(d)
    try:
        s.shutdown(socket.SHUT_WR)
    except OSError:
        pass
threading.Thread(target=up, daemon=True).start()
while True:
    d = s.recv(65536)
    if not d:
        break
    os.write(1, d)
`;

export function runHelper(options: RunOptions): Promise<HelperRun> {
  const started = Date.now();
  const socket = options.socket;
  const stderrBefore = socket?.log().length ?? 0;
  const target = socket ? ['/usr/bin/python3', '-c', SOCKET_RELAY_PY, socket.path] : [options.binary];
  const command = [...(options.wrapper ?? []), ...target];
  const child = spawn(command[0]!, command.slice(1), {
    env: options.env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  options.onSpawn?.(child);
  const frames: Frame[] = [];
  const decoder = new FrameDecoder();
  let decodeError: FrameError | null = null;
  let stderr = '';
  let prompts = 0;
  child.stdin!.on('error', () => {}); // EPIPE once the helper is gone: the run result tells
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));

  const start = options.start === undefined ? startFrame(options.service ?? 'bastion-greeter', options.user ?? 'alice') : options.start;
  if (start !== null) child.stdin!.write(start);
  if (options.closeAfterStart) child.stdin!.end();

  const onPrompt = options.onPrompt ?? (() => ({ cancel: true }) as PromptAction);
  const act = (prompt: Frame): void => {
    const action = onPrompt(prompt, prompts++);
    if ('answer' in action) child.stdin!.write(encodeFrame(FrameType.ANSWER, action.answer));
    else if ('raw' in action) child.stdin!.write(action.raw);
    else if ('cancel' in action) child.stdin!.write(encodeFrame(FrameType.CANCEL));
    else if ('closeStdin' in action) child.stdin!.end();
    else if ('kill' in action) child.kill(action.kill);
  };

  child.stdout!.on('data', (chunk: Buffer) => {
    if (decodeError) return;
    try {
      for (const frame of decoder.push(chunk)) {
        frames.push(frame);
        if (frame.type === FrameType.PROMPT_ECHO_OFF || frame.type === FrameType.PROMPT_ECHO_ON) act(frame);
      }
    } catch (error) {
      decodeError = error as FrameError;
    }
  });

  const limit = setTimeout(() => child.kill('SIGKILL'), options.limitMs ?? 20_000);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', async (status, signal) => {
      clearTimeout(limit);
      // The helper writes its sanitizer reports before it exits and its socket closes.
      if (socket) await new Promise((r) => setTimeout(r, 30));
      if (socket) stderr += socket.log().slice(stderrBefore);
      try {
        if (!decodeError) decoder.end();
      } catch (error) {
        decodeError = error as FrameError;
      }
      const at = frames.findIndex((f) => f.type === FrameType.RESULT);
      const result = at >= 0 ? frames[at]!.payload.toString('utf8') : null;
      const afterResult = at >= 0 ? frames.length - at - 1 : 0;
      resolve({
        frames,
        result,
        afterResult,
        status,
        signal,
        stderr,
        decodeError,
        ms: Date.now() - started,
        viaSocket: socket !== undefined,
        success: result === SUCCESS_RESULT && afterResult === 0 && status === 0 && signal === null && decodeError === null,
        texts: (type) => frames.filter((f) => f.type === type).map((f) => f.payload.toString('utf8')),
      });
    });
  });
}

/** Sanitizer reports that must never appear on the helper's stderr. */
const SANITIZER_MARKERS = [
  /ERROR: AddressSanitizer/,
  /ERROR: LeakSanitizer/,
  /runtime error:/,
  /UndefinedBehaviorSanitizer/,
  /SUMMARY: \w+Sanitizer/,
  /==\d+==ERROR/,
];

export function sanitizerReport(stderr: string): string | null {
  return SANITIZER_MARKERS.some((re) => re.test(stderr)) ? stderr : null;
}

/**
 * Runs the helper with its stdout on a pipe that the caller has filled and never reads (python3
 * owns the pipe: Node cannot leave one unread). `room` bytes are read back from the full pipe
 * and `refill` bytes written again before the helper starts, so the helper's next write finds
 * exactly `room - refill` bytes of space (the pipe holds 4096-byte chunks; a write merges into
 * the last partly filled one). The run ends when the helper exits, or after `waitMs` with the
 * helper still alive (then it is SIGKILLed and `aliveAfterWait` is true).
 */
export interface StuckReaderRun {
  status: number | null;
  aliveAfterWait: boolean;
  ms: number;
  /** What the helper managed to write behind the filler, read after it exited. */
  written: Buffer;
  stderr: string;
}

const STUCK_READER_PY = `
import json, os, subprocess, sys, time
cfg = json.loads(sys.argv[1])
r, w = os.pipe()
os.set_blocking(w, False)
filler = 0
try:
    while True:
        filler += os.write(w, b"\\0" * 4096)
except BlockingIOError:
    pass
if cfg["room"]:
    filler -= len(os.read(r, cfg["room"]))
if cfg["refill"]:
    filler += os.write(w, b"\\0" * cfg["refill"])
os.set_blocking(w, True)
started = time.monotonic()
p = subprocess.Popen(cfg["argv"], stdin=subprocess.PIPE, stdout=w, stderr=subprocess.PIPE, env=cfg["env"])
os.close(w)
p.stdin.write(bytes.fromhex(cfg["start"]))
p.stdin.flush()
alive = False
try:
    status = p.wait(timeout=cfg["waitMs"] / 1000)
except subprocess.TimeoutExpired:
    alive = os.path.exists("/proc/%d" % p.pid)
    p.kill()
    status = p.wait()
ms = (time.monotonic() - started) * 1000
data = b""
while True:
    chunk = os.read(r, 65536)
    if not chunk:
        break
    data += chunk
print(json.dumps({"status": status, "alive": alive, "ms": ms, "written": data[filler:].hex(),
                  "stderr": p.stderr.read().decode("utf-8", "replace")}))
`;

export function runWithStuckReader(options: {
  binary: string;
  env: Record<string, string>;
  start: Buffer;
  room: number;
  refill: number;
  waitMs: number;
}): Promise<StuckReaderRun> {
  const config = JSON.stringify({
    argv: [options.binary],
    env: options.env,
    start: options.start.toString('hex'),
    room: options.room,
    refill: options.refill,
    waitMs: options.waitMs,
  });
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/python3', ['-c', STUCK_READER_PY, config], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`stuck-reader runner exited ${code}`));
      const parsed = JSON.parse(out) as { status: number; alive: boolean; ms: number; written: string; stderr: string };
      resolve({
        status: parsed.status,
        aliveAfterWait: parsed.alive,
        ms: parsed.ms,
        written: Buffer.from(parsed.written, 'hex'),
        stderr: parsed.stderr,
      });
    });
  });
}
