// pam_u2f's authfile format, without a device: read as pam_u2f reads it, written as pamu2fcfg
// writes it, other lines kept byte for byte, damaged target lines refused.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { KeysError } from '../errors';
import {
  addCredential,
  formatCredential,
  listMappings,
  MAX_LINE_BYTES,
  PAM_U2F_MAX_CREDENTIALS,
  parseAuthfile,
  removeCredential,
  serializeAuthfile,
  userMapping,
} from '../u2f-mapping';
import { es256Raw } from './helpers';

const presence = { presence: true, pin: false, verification: false };
const fresh = () => ({ credentialId: randomBytes(48), publicKey: es256Raw(), flags: presence });

/** Base64 of `bytes` with a non-zero padding bit: decodes, but pamu2fcfg never writes it. */
function nonCanonical(bytes: Buffer): string {
  const text = bytes.toString('base64');
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const at = text.length - 3; // 49 bytes: "…x==", x carries 2 data bits and 4 zero bits
  return text.slice(0, at) + alphabet[alphabet.indexOf(text[at]!) | 1] + text.slice(at + 1);
}

const code = (fn: () => unknown): string => {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof KeysError, String(error));
    return error.code;
  }
  return 'no error';
};

describe('pam_u2f authfile format', () => {
  it('writes credentials as pamu2fcfg does: base64 id, 64-byte key, es256, flags in its order', () => {
    const c = fresh();
    const text = formatCredential({
      ...c,
      flags: { presence: true, pin: true, verification: true },
    });
    const [kh, pk, type, attributes] = text.split(',');
    assert.deepEqual(Buffer.from(kh!, 'base64'), c.credentialId);
    assert.equal(Buffer.from(pk!, 'base64').length, 64);
    assert.equal(pk!.length, 88);
    assert.equal(type, 'es256');
    assert.equal(attributes, '+presence+verification+pin');
    assert.equal(formatCredential(c).split(',')[3], '+presence');
  });

  it('adds to the user’s last line (the one pam_u2f reads) and keeps every other byte', () => {
    const a = formatCredential(fresh());
    const other = `bob:${formatCredential(fresh())}\r`; // other users' oddities are theirs
    const junk = '# not a comment for pam_u2f, just a user named "#"';
    const original = Buffer.from(`alice:${a}\n${other}\n${junk}\nalice:${a}`, 'latin1');
    const doc = parseAuthfile(original);
    assert.deepEqual(serializeAuthfile(doc), original, 'parse + serialize is the identity');
    const mapping = userMapping(doc, 'alice');
    assert.equal(mapping.line!.number, 4);
    assert.deepEqual(mapping.ignoredLines, [1]);
    const added = fresh();
    const out = serializeAuthfile(addCredential(doc, 'alice', added)).toString('latin1');
    assert.equal(out, `alice:${a}\n${other}\n${junk}\nalice:${a}:${formatCredential(added)}`);
    // A new user goes on a line of its own, after a newline the unterminated last line lacked.
    const carol = fresh();
    const out2 = serializeAuthfile(addCredential(doc, 'carol', carol)).toString('latin1');
    assert.ok(out2.startsWith(original.toString('latin1') + '\n'));
    assert.ok(out2.endsWith(`\ncarol:${formatCredential(carol)}\n`));
  });

  it('reads fields as strtok does, the old format and resident credentials', () => {
    const c = fresh();
    const b64 = formatCredential(c).split(',');
    const websafe = c.credentialId.toString('base64url');
    const hex = Buffer.concat([Buffer.of(4), c.publicKey]).toString('hex');
    const doc = parseAuthfile(
      Buffer.from(
        `::alice::${b64[0]},,${b64[1]},es256:*,${b64[1]},es256,+presence+pin:${websafe},${hex}:${b64[0]},${b64[1]},es256\n`,
      ),
    );
    const creds = userMapping(doc, 'alice').credentials;
    assert.equal(creds.length, 4);
    assert.deepEqual(creds[0]!.credentialId, c.credentialId);
    assert.deepEqual(creds[0]!.flags, { presence: false, pin: false, verification: false });
    assert.equal(creds[1]!.credentialId, null);
    assert.deepEqual(creds[1]!.flags, { presence: true, pin: true, verification: false });
    assert.equal(creds[2]!.oldFormat, true);
    assert.deepEqual(creds[2]!.credentialId, c.credentialId);
    assert.equal(creds[2]!.flags.presence, true);
    assert.equal(creds[3]!.attributes, '');
  });

  it('refuses a damaged line of the target user, naming it, and lists the others', () => {
    const good = formatCredential(fresh());
    const [kh, pk] = good.split(',');
    const cases: Record<string, string> = {
      'bad base64': `alice:${kh!.slice(0, -2)}!!,${pk},es256,+presence`,
      'non-canonical base64': `alice:${nonCanonical(randomBytes(49))},${pk},es256,+presence`,
      'short id': `alice:${randomBytes(8).toString('base64')},${pk},es256,+presence`,
      'not a point': `alice:${kh},${Buffer.alloc(64, 1).toString('base64')},es256,+presence`,
      'wrong key length': `alice:${kh},${randomBytes(48).toString('base64')},es256,+presence`,
      'unknown type': `alice:${kh},${pk},es384,+presence`,
      'unknown attribute': `alice:${kh},${pk},es256,+presence+fingerprint`,
      'extra field': `alice:${kh},${pk},es256,+presence,x`,
      'control character': `alice:${kh},${pk},es256,+presence\r`,
      truncated: `alice:${kh},${pk!.slice(0, 40)}`,
    };
    for (const [name, line] of Object.entries(cases)) {
      const doc = parseAuthfile(Buffer.from(`bob:${good}\n${line}\n`));
      assert.equal(
        code(() => userMapping(doc, 'alice')),
        'MAPPING_CORRUPT',
        name,
      );
      assert.equal(
        code(() => addCredential(doc, 'alice', fresh())),
        'MAPPING_CORRUPT',
        name,
      );
      assert.equal(userMapping(doc, 'bob').credentials.length, 1, name);
      const listing = listMappings(doc);
      assert.deepEqual(
        listing.mappings.map((m) => m.user),
        ['bob'],
        name,
      );
      assert.equal(listing.problems[0]!.line, 2, name);
    }
  });

  it('bounds the whole file: NUL bytes, huge lines, too many credentials or bytes for pam_u2f 1.1', () => {
    assert.equal(
      code(() => parseAuthfile(Buffer.from('bob:x\0y\n'))),
      'MAPPING_CORRUPT',
    );
    const huge = Buffer.from(`bob:${'A'.repeat(MAX_LINE_BYTES)}\n`);
    assert.equal(
      code(() => parseAuthfile(huge)),
      'MAPPING_TOO_LARGE',
    );
    let doc = parseAuthfile(Buffer.alloc(0));
    for (let i = 0; i < PAM_U2F_MAX_CREDENTIALS; i++) doc = addCredential(doc, 'alice', fresh());
    assert.equal(
      code(() => addCredential(doc, 'alice', fresh())),
      'MAPPING_FULL',
    );
    // 1023-byte ids: the line would outgrow pam_u2f 1.1.0's 5887-byte fgets buffer first.
    let big = parseAuthfile(Buffer.alloc(0));
    const longId = () => ({ ...fresh(), credentialId: randomBytes(1000) });
    big = addCredential(big, 'alice', longId());
    big = addCredential(big, 'alice', longId());
    big = addCredential(big, 'alice', longId());
    big = addCredential(big, 'alice', longId());
    assert.equal(
      code(() => addCredential(big, 'alice', longId())),
      'MAPPING_FULL',
    );
  });

  it('refuses duplicates and user names that could break the line', () => {
    const c = fresh();
    const doc = addCredential(parseAuthfile(Buffer.alloc(0)), 'alice', c);
    assert.equal(
      code(() => addCredential(doc, 'alice', c)),
      'ALREADY_ENROLLED',
    );
    for (const bad of ['al:ice', 'al,ice', 'al ice', '', '-x', 'a\nb'])
      assert.equal(
        code(() => addCredential(doc, bad, fresh())),
        'BAD_INPUT',
        bad,
      );
  });

  it('removes one credential, and the line with the last one', () => {
    const a = fresh();
    const b = fresh();
    let doc = addCredential(parseAuthfile(Buffer.from('bob:keep-me\n')), 'alice', a);
    doc = addCredential(doc, 'alice', b);
    const kh = a.credentialId.toString('base64');
    const one = removeCredential(doc, 'alice', kh)!;
    assert.equal(serializeAuthfile(one).toString(), `bob:keep-me\nalice:${formatCredential(b)}\n`);
    const none = removeCredential(one, 'alice', b.credentialId.toString('base64'))!;
    assert.equal(serializeAuthfile(none).toString(), 'bob:keep-me\n');
    assert.equal(removeCredential(none, 'alice', kh), null);
  });
});
