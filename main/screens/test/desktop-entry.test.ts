import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  localizedName,
  parseDesktopEntry,
  quoteExec,
  splitExec,
  unescapeString,
} from '../desktop-entry';

const file = (lines: string[]): string => lines.join('\n') + '\n';
const GNOME = file([
  '# a comment',
  '[Desktop Entry]',
  'Name=GNOME',
  'Name[fr]=GNOME (français)',
  'Comment=This session logs you into GNOME',
  'Exec=env GNOME_SHELL_SESSION_MODE=ubuntu /usr/bin/gnome-session --session=ubuntu',
  'TryExec=/usr/bin/gnome-shell',
  'Type=Application',
  'DesktopNames=ubuntu;GNOME;',
  '',
  '[Desktop Action Foo]',
  'Name=Foo',
]);

describe('Desktop Entry parser', () => {
  it('reads Name, Name[fr], Exec, TryExec, DesktopNames', () => {
    const result = parseDesktopEntry(GNOME);
    assert.ok(result.ok, JSON.stringify(result));
    const { entry } = result;
    assert.equal(entry.name, 'GNOME');
    assert.equal(localizedName(entry, 'fr'), 'GNOME (français)');
    assert.equal(localizedName(entry, 'en'), 'GNOME');
    assert.deepEqual(entry.exec, [
      'env',
      'GNOME_SHELL_SESSION_MODE=ubuntu',
      '/usr/bin/gnome-session',
      '--session=ubuntu',
    ]);
    assert.equal(entry.tryExec, '/usr/bin/gnome-shell');
    assert.deepEqual(entry.desktopNames, ['ubuntu', 'GNOME']);
    assert.equal(entry.hidden, false);
    assert.equal(entry.noDisplay, false);
  });

  it('Exec quoting: double quotes, escapes inside them, %% and dropped field codes', () => {
    assert.deepEqual(splitExec('sh -c "exec \\"$0\\" \\$HOME" %f'), [
      'sh',
      '-c',
      'exec "$0" $HOME',
    ]);
    assert.deepEqual(splitExec('a  b'), ['a', 'b']);
    assert.deepEqual(splitExec('"" x'), ['', 'x']);
    assert.deepEqual(splitExec('run 100%%'), ['run', '100%']);
    // The string-level escape comes first: four backslashes are one literal backslash.
    assert.deepEqual(splitExec(unescapeString('echo "a\\\\\\\\b"')), ['echo', 'a\\b']);
  });

  it('Exec: reserved characters unquoted, bad escapes and odd field codes are refused', () => {
    for (const bad of [
      'a|b',
      'a;b',
      'echo $HOME',
      "it's",
      'a\\ b',
      '"unterminated',
      '"bad \\n escape"',
      'x %d',
      'x a%f',
      'x ~/bin',
      'x `id`',
    ]) {
      assert.throws(() => splitExec(bad), { name: 'DesktopEntryError' }, bad);
    }
  });

  it('property: quoteExec then unescape and split gives the arguments back', () => {
    const argument = fc
      .string({ unit: 'grapheme', maxLength: 20 })
      .filter((s) => !s.includes('\0'));
    fc.assert(
      fc.property(fc.array(argument, { minLength: 1, maxLength: 8 }), (args) => {
        assert.deepEqual(splitExec(unescapeString(quoteExec(args))), args);
      }),
      { numRuns: 2000 },
    );
  });

  it('property: the splitter never throws anything but its own error, and stays bounded', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        try {
          const args = splitExec(text);
          assert.ok(args.length <= 256);
        } catch (error) {
          assert.equal((error as Error).name, 'DesktopEntryError');
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('property: plain words split on spaces exactly like a word list', () => {
    const word = fc.stringMatching(/^[A-Za-z0-9_./=:,+-]{1,12}$/);
    fc.assert(
      fc.property(fc.array(word, { minLength: 1, maxLength: 10 }), (words) => {
        assert.deepEqual(splitExec(words.join(' ')), words);
      }),
    );
  });

  const malformed: [string, string][] = [
    ['no group', 'Name=x\nExec=x\nType=Application\n'],
    ['garbage line', '[Desktop Entry]\nName=x\nExec=x\nType=Application\nthis is not a line\n'],
    ['repeated key', '[Desktop Entry]\nName=x\nName=y\nExec=x\nType=Application\n'],
    ['repeated group', '[Desktop Entry]\nName=x\nExec=x\nType=Application\n[Desktop Entry]\n'],
    ['no Name', '[Desktop Entry]\nExec=x\nType=Application\n'],
    ['no Exec', '[Desktop Entry]\nName=x\nType=Application\n'],
    ['empty Exec', '[Desktop Entry]\nName=x\nExec=\nType=Application\n'],
    ['wrong Type', '[Desktop Entry]\nName=x\nExec=x\nType=Link\n'],
    ['bad boolean', '[Desktop Entry]\nName=x\nExec=x\nType=Application\nHidden=yes\n'],
    ['bad Exec', '[Desktop Entry]\nName=x\nExec=a|b\nType=Application\n'],
    ['control char', '[Desktop Entry]\nName=x\u0007\nExec=x\nType=Application\n'],
    ['other group first', '[Other]\n[Desktop Entry]\nName=x\nExec=x\nType=Application\n'],
  ];
  for (const [what, text] of malformed) {
    it(`refuses a malformed file: ${what}`, () => {
      const result = parseDesktopEntry(text);
      assert.equal(result.ok, false);
    });
  }

  it('refuses bad UTF-8 bytes and accepts the same file in good UTF-8', () => {
    const good = Buffer.from('[Desktop Entry]\nName=Café\nExec=x\nType=Application\n', 'utf8');
    assert.equal(parseDesktopEntry(good).ok, true);
    const bad = Buffer.concat([
      Buffer.from('[Desktop Entry]\nName=Caf'),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('\nExec=x\nType=Application\n'),
    ]);
    const result = parseDesktopEntry(bad);
    assert.equal(result.ok, false);
    assert.match(result.ok ? '' : result.reason, /UTF-8/);
  });

  it('Hidden and NoDisplay are read', () => {
    const result = parseDesktopEntry(
      '[Desktop Entry]\nName=x\nExec=x\nType=Application\nHidden=true\nNoDisplay=true\n',
    );
    assert.ok(result.ok);
    assert.equal(result.entry.hidden, true);
    assert.equal(result.entry.noDisplay, true);
  });
});
