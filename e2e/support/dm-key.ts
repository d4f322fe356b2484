// A software security key enrolled for the display-manager e2e files (e2e/dm-*key*.test.ts),
// and the two looks at the screen and the key those files and e2e/security-key.test.ts share.
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { openAuthenticator } from '../../main/fido2/device-choice';
import { enrollIntoAuthfile } from '../../main/keys';
import { PAM_U2F } from '../../testkit/dm/lightdm-rig';
import { FakeHidrawRig, hasFakeHidraw } from '../../testkit/fido2/fake-hidraw-rig';
import { HELPER_OUT } from '../../testkit/paths';
import type { SoftAuthenticator } from '../../testkit/fido2/soft-ctap2';
import { SoftHidDevice } from '../../testkit/fido2/soft-hid-device';
import { e2ePrerequisites } from './greeter-harness';

const CLIENT_PIN = 0x06;

/** pam_bastion_method's release build, which the display managers' stacks load. */
export const METHOD_MODULE = join(HELPER_OUT, 'pam_bastion_method.so');

/**
 * What a display-manager key file lacks here, or null: its rig's own answer (`rigMissing`),
 * the e2e prerequisites, the fake-hidraw shim, libpam-u2f, pam_bastion_method when
 * `methodModule`, and root (pam_u2f takes an authfile owned by the person or root only).
 */
export function dmKeyMissing(
  rigMissing: string | null,
  options: { methodModule: boolean },
): string | null {
  const missing = [rigMissing];
  for (const p of e2ePrerequisites()) if (!p.available) missing.push(p.what);
  if (!hasFakeHidraw()) missing.push('native-helper/out/fake_hidraw.so (make -C native-helper)');
  if (options.methodModule && !existsSync(METHOD_MODULE)) {
    missing.push('pam_bastion_method.so (make -C native-helper)');
  }
  if (!existsSync(PAM_U2F)) missing.push('libpam-u2f');
  if (process.getuid?.() !== 0) missing.push('root (a root-owned pam_u2f authfile)');
  const list = missing.filter((m): m is string => m !== null);
  return list.length === 0 ? null : list.join(', ');
}

/** The screen's security-key area in `phase` (data-phase of SecurityKeyStatus). */
export const keyArea = (page: Page, phase: string) =>
  page.locator(`[data-testid="security-key"][data-phase="${phase}"]`);

/** clientPIN requests for a PIN token (getPinToken 5, getPinUvAuthTokenUsingPinWithPermissions 9). */
export function pinTokenRequests(authenticator: SoftAuthenticator, from: number): number {
  return authenticator.requestLog
    .slice(from)
    .filter((e) => e.command === CLIENT_PIN && [5, 9].includes(e.params?.get(2) as number)).length;
}

export interface EnrolledKey {
  /** The rig serving the key (its dir goes to the daemon's and the greeter's shim). */
  keys: FakeHidrawRig;
  /** pam_u2f's mapping with the key's credential for `user` (root's, readable by all). */
  authfile: string;
  cleanup(): Promise<void>;
}

/**
 * One software key behind the fake-hidraw shim, enrolled for `user` (as `bastion-keys keys
 * enroll` does) with `origin`; `pin` set on the key and required (+pin) when given. Then the
 * key waits `touchDelayMs` for each touch (the simulated person).
 */
export async function enrolledKey(options: {
  user: string;
  origin: string;
  pin?: string;
  touchDelayMs: number;
}): Promise<EnrolledKey> {
  const dir = mkdtempSync(join(tmpdir(), 'bastion-dm-key-'));
  chmodSync(dir, 0o755);
  const keys = await FakeHidrawRig.start([
    { config: { touchDelayMs: 0, ...(options.pin === undefined ? {} : { pin: options.pin }) } },
  ]);
  const device = keys.devices[0]!;
  const authfile = join(dir, 'u2f_keys');
  const opened = await openAuthenticator(async () => new SoftHidDevice(device.hid), device.path);
  try {
    await enrollIntoAuthfile(opened.client, {
      user: options.user,
      authfile,
      origin: options.origin,
      ...(options.pin === undefined
        ? { requirement: 'presence' as const }
        : { requirement: 'pin' as const, pin: Buffer.from(options.pin) }),
    });
  } finally {
    await opened.close();
  }
  // A central mapping as a site keeps it: root's, readable by the PAM stack's process.
  chmodSync(authfile, 0o644);
  device.authenticator.config.touchDelayMs = options.touchDelayMs;
  return {
    keys,
    authfile,
    async cleanup() {
      await keys.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
