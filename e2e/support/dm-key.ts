// A software security key enrolled for the display-manager e2e files (e2e/dm-*key*.test.ts),
// and the two looks at the screen and the key those files and e2e/security-key.test.ts share.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { openAuthenticator } from '../../main/fido2/device-choice';
import { enrollIntoAuthfile } from '../../main/keys';
import { FakeHidrawRig } from '../../testkit/fido2/fake-hidraw-rig';
import type { SoftAuthenticator } from '../../testkit/fido2/soft-ctap2';
import { SoftHidDevice } from '../../testkit/fido2/soft-hid-device';

const CLIENT_PIN = 0x06;

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
