// TEST DOUBLE, never shipped: a stand-in for bastion-pam-helper that misbehaves on purpose,
// for the faults the real helper will not produce (garbage, truncated frames, two results…).
// The scenario comes from FAKE_HELPER_SCENARIO; `from-start-user` takes it from the START
// frame's user instead (one systemd-socket-activate instance serving every scenario). It reads
// the START frame first, like the helper.
let scenario = process.env.FAKE_HELPER_SCENARIO ?? 'success';

function frame(type, text = '') {
  const body = Buffer.isBuffer(text) ? text : Buffer.from(text, 'utf8');
  const head = Buffer.alloc(5);
  head.writeUInt32BE(body.length + 1, 0);
  head.writeUInt8(type, 4);
  return Buffer.concat([head, body]);
}
const PROMPT_OFF = 0x02;
const INFO = 0x04;
const ANSWER = 0x06;
const RESULT = 0x08;
const SUCCESS = '0:PAM_SUCCESS:acct_mgmt';

function out(bytes) {
  return new Promise((resolve) => process.stdout.write(bytes, resolve));
}

// Reads whole frames from stdin; resolves with the next one (null at end of stream).
let pending = Buffer.alloc(0);
const waiting = [];
let ended = false;
process.stdin.on('data', (chunk) => {
  pending = Buffer.concat([pending, chunk]);
  drain();
});
process.stdin.on('end', () => {
  ended = true;
  drain();
});
function drain() {
  while (waiting.length > 0) {
    if (pending.length >= 4 && pending.length >= 4 + pending.readUInt32BE(0)) {
      const length = pending.readUInt32BE(0);
      const next = { type: pending[4], payload: pending.subarray(5, 4 + length) };
      pending = pending.subarray(4 + length);
      waiting.shift()(next);
    } else if (ended) {
      waiting.shift()(null);
    } else return;
  }
}
function readFrame() {
  return new Promise((resolve) => {
    waiting.push(resolve);
    drain();
  });
}

async function main() {
  const start = await readFrame();
  if (!start || start.type !== 0x01) process.exit(3);
  if (scenario === 'from-start-user') {
    scenario = start.payload.toString('utf8').split('\0')[1] ?? '';
  }
  switch (scenario) {
    case 'success': {
      await out(frame(PROMPT_OFF, 'Password: '));
      const answer = await readFrame();
      const ok = answer && answer.type === ANSWER && answer.payload.toString() === 'right';
      await out(frame(RESULT, ok ? SUCCESS : '7:PAM_AUTH_ERR:authenticate'));
      process.exit(ok ? 0 : 1);
      break;
    }
    case 'garbage':
      await out(Buffer.from([0x00, 0x00, 0x00, 0x05, 0x42, 0xde, 0xad, 0xbe, 0xef]));
      process.exit(0);
      break;
    case 'oversized':
      await out(Buffer.from([0x7f, 0xff, 0xff, 0xff, 0x08]));
      process.exit(0);
      break;
    case 'truncated':
      await out(frame(RESULT, SUCCESS).subarray(0, 10));
      process.exit(0);
      break;
    case 'two-results':
      await out(Buffer.concat([frame(RESULT, SUCCESS), frame(RESULT, SUCCESS)]));
      process.exit(0);
      break;
    case 'success-then-junk':
      await out(Buffer.concat([frame(RESULT, SUCCESS), Buffer.from('junk')]));
      process.exit(0);
      break;
    case 'success-then-info':
      await out(Buffer.concat([frame(RESULT, SUCCESS), frame(INFO, 'late')]));
      process.exit(0);
      break;
    case 'exit0-without-result':
      await out(frame(INFO, 'hello'));
      process.exit(0);
      break;
    case 'success-exit1':
      await out(frame(RESULT, SUCCESS));
      process.exit(1);
      break;
    case 'failure-exit0':
      await out(frame(RESULT, '7:PAM_AUTH_ERR:authenticate'));
      process.exit(0);
      break;
    case 'success-wrong-stage':
      await out(frame(RESULT, '0:PAM_SUCCESS:authenticate'));
      process.exit(0);
      break;
    case 'malformed-result':
      await out(frame(RESULT, '0:PAM_SUCCESS:acct_mgmt '));
      process.exit(0);
      break;
    case 'answer-frame-from-helper':
      await out(frame(ANSWER, 'x'));
      process.exit(0);
      break;
    case 'bad-utf8':
      await out(frame(INFO, Buffer.from([0xc3, 0x28])));
      await out(frame(RESULT, SUCCESS));
      process.exit(0);
      break;
    case 'nul-in-text':
      await out(frame(INFO, Buffer.from('a\0b')));
      await out(frame(RESULT, SUCCESS));
      process.exit(0);
      break;
    case 'success-then-sigkill':
      await out(frame(RESULT, SUCCESS));
      process.kill(process.pid, 'SIGKILL');
      break;
    case 'hang':
      // Never answers and ignores stdin's end: only the client's deadline/kill ends it.
      process.stdin.removeAllListeners('end');
      setInterval(() => {}, 1000);
      break;
    default:
      process.exit(9);
  }
}
main();
