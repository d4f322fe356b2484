// hmac-secret assertion wall time and CTAPHID messages per assertion: our stack (node-hid
// native path) vs python3-fido2, both through the fake-hidraw shim against the same software
// authenticator. Per-assertion time is measured inside each client (process start excluded);
// the message count is read on the authenticator side, open/INIT overhead removed.
import { randomBytes } from 'node:crypto';
import { FakeHidrawRig } from '../testkit/fido2/fake-hidraw-rig';
import { runHostDriver, runPythonPeer } from '../testkit/fido2/peers';
import { enrollInProcess } from '../main/fido2/test/rig-helpers';
import { median } from './stats';

const RUNS = 25;

const rig = await FakeHidrawRig.start([{}]);
try {
  const device = rig.devices[0]!;
  const cred = await enrollInProcess(device, 'example.org');
  const salt1 = randomBytes(32).toString('hex');
  const messagesFor = async (
    run: (repeat: number) => Promise<Record<string, unknown>>,
    repeat: number,
  ) => {
    const before = device.hid.messagesReceived;
    const result = await run(repeat);
    return { result, messages: device.hid.messagesReceived - before };
  };
  const ours = (repeat: number) =>
    runHostDriver(rig.env, { op: 'hmac', device: device.path, cred, salt1, protocol: 2, repeat });
  const python = (repeat: number) =>
    runPythonPeer(rig.env, [
      'hmac',
      '--device',
      device.path,
      '--cred',
      cred,
      '--salt1',
      salt1,
      '--protocol',
      '2',
      '--repeat',
      String(repeat),
    ]);
  const ours1 = await messagesFor(ours, 1);
  const oursN = await messagesFor(ours, RUNS);
  const py1 = await messagesFor(python, 1);
  const pyN = await messagesFor(python, RUNS);
  if (oursN.result.output1 !== pyN.result.output1) throw new Error('outputs differ');
  const oursMs = median(oursN.result.ms as number[]);
  const pyMs = median(pyN.result.ms as number[]);
  const oursMsgs = (oursN.messages - ours1.messages) / (RUNS - 1);
  const pyMsgs = (pyN.messages - py1.messages) / (RUNS - 1);
  process.stdout.write(
    JSON.stringify({
      bench: 'fido2-hmac-secret-assertion',
      runs: RUNS,
      ours_median_ms: Number(oursMs.toFixed(3)),
      python_fido2_median_ms: Number(pyMs.toFixed(3)),
      time_ratio_ours_vs_python: Number((oursMs / pyMs).toFixed(3)),
      ours_ctaphid_messages_per_assertion: oursMsgs,
      python_fido2_ctaphid_messages_per_assertion: pyMsgs,
      messages_ratio_ours_vs_python: Number((oursMsgs / pyMsgs).toFixed(3)),
    }) + '\n',
  );
} finally {
  await rig.stop();
}
