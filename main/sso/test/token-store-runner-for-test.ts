// Test runner (child process): increments a counter kept in the stored access token `rounds`
// times under the user's lock, or (mode "save") blindly saves its own marker `rounds` times.
import { FileTokenStore } from '../token-store';

const [dir, keyFile, user, mode, roundsText, marker] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
  string,
];
const store = new FileTokenStore({ dir, keyFile });
const rounds = Number(roundsText);
for (let i = 0; i < rounds; i++) {
  if (mode === 'update') {
    await store.withUserLock(user, async (locked) => {
      const current = await locked.load();
      const count = current === null ? 0 : Number(current.accessToken.split(':')[1]);
      await locked.save({
        accessToken: `count:${count + 1}`,
        refreshToken: `rt-${marker}-${i}`,
        expiresAt: 4_102_444_800_000,
      });
    });
  } else {
    await store.save(user, {
      accessToken: `${marker}:${'x'.repeat(2000)}`,
      refreshToken: `rt-${marker}`,
      expiresAt: 4_102_444_800_000,
    });
  }
}
