// resources/udev/70-bastion-fido.rules, parsed and evaluated by a small udev-rules
// interpreter (the subset the file uses: ==, !=, =, +=, ENV{}, TAG, IMPORT{program}, GOTO,
// LABEL, glob ? and *): FIDO hidraw devices get the uaccess tag, nothing else does, and no
// mode, group or owner is ever widened. fido_id is modelled from its source: FIDO when the
// report descriptor declares usage page 0xF1D0.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { REPO_ROOT } from '../../../testkit/paths';

const RULES = join(REPO_ROOT, 'resources/udev/70-bastion-fido.rules');

interface Clause {
  key: string;
  attr: string | null;
  op: '==' | '!=' | '=' | '+=';
  value: string;
}

function parseRules(text: string): Clause[][] {
  const rules: Clause[][] = [];
  for (const [index, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const clauses: Clause[] = [];
    const re = /\s*([A-Z_]+)(?:\{([^}]*)\})?(==|!=|\+=|=)"([^"]*)"\s*(,|$)/y;
    let at = 0;
    while (at < line.length) {
      re.lastIndex = at;
      const m = re.exec(line);
      assert.ok(m, `line ${index + 1} does not parse at column ${at}: ${line}`);
      clauses.push({ key: m[1]!, attr: m[2] ?? null, op: m[3] as Clause['op'], value: m[4]! });
      at = re.lastIndex;
    }
    rules.push(clauses);
  }
  return rules;
}

const glob = (pattern: string, value: string): boolean =>
  new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  ).test(value);

interface Device {
  action: string;
  subsystem: string;
  env: Record<string, string>;
  reportDescriptor: Buffer | null;
}

/** fido_id (systemd src/udev/fido_id): FIDO when the descriptor's usage page is 0xF1D0. */
function fidoId(device: Device): Record<string, string> {
  const d = device.reportDescriptor;
  if (!d) return {};
  for (let i = 0; i + 2 < d.length; i++)
    if (d[i] === 0x06 && d[i + 1] === 0xd0 && d[i + 2] === 0xf1) return { ID_FIDO_TOKEN: '1' };
  return {};
}

function evaluate(
  rules: Clause[][],
  device: Device,
): { tags: Set<string>; env: Record<string, string>; imported: number } {
  const env = { ...device.env };
  const tags = new Set<string>();
  let imported = 0;
  let skipTo: string | null = null;
  for (const rule of rules) {
    const label = rule.find((c) => c.key === 'LABEL');
    if (skipTo !== null) {
      if (label?.value === skipTo) skipTo = null;
      continue;
    }
    const get = (c: Clause): string =>
      c.key === 'ACTION'
        ? device.action
        : c.key === 'SUBSYSTEM'
          ? device.subsystem
          : c.key === 'ENV'
            ? (env[c.attr!] ?? '')
            : assert.fail(`unknown match key ${c.key}`);
    const matches = rule
      .filter((c) => c.op === '==' || c.op === '!=')
      .every((c) => glob(c.value, get(c)) === (c.op === '=='));
    if (!matches) continue;
    for (const c of rule) {
      if (c.op === '==' || c.op === '!=') continue;
      if (c.key === 'ENV') env[c.attr!] = c.value;
      else if (c.key === 'TAG') tags.add(c.value);
      else if (c.key === 'IMPORT') {
        assert.equal(c.attr, 'program');
        assert.equal(c.value, 'fido_id');
        imported++;
        Object.assign(env, fidoId(device));
      } else if (c.key === 'GOTO') skipTo = c.value;
      else if (c.key !== 'LABEL') assert.fail(`the rule assigns ${c.key}`);
    }
  }
  return { tags, env, imported };
}

const FIDO_DESCRIPTOR = Buffer.from(
  '06d0f10901a1010920150026ff007508954081020921150026ff00750895409102c0',
  'hex',
);
const KEYBOARD_DESCRIPTOR = Buffer.from(
  '05010906a101050719e029e71500250175019508810295017508810195067508150025650507190029658100c0',
  'hex',
);

describe('udev rule 70-bastion-fido.rules', () => {
  const text = readFileSync(RULES, 'utf8');
  const rules = parseRules(text);

  it('parses, every GOTO has its LABEL, and it never sets a mode, group, owner or RUN', () => {
    const labels = rules
      .flat()
      .filter((c) => c.key === 'LABEL')
      .map((c) => c.value);
    for (const c of rules.flat()) {
      if (c.key === 'GOTO') assert.ok(labels.includes(c.value), `GOTO ${c.value}`);
      assert.ok(!['MODE', 'GROUP', 'OWNER', 'RUN'].includes(c.key), `${c.key} is set`);
    }
  });

  const hidraw = (env: Record<string, string>, reportDescriptor: Buffer | null): Device => ({
    action: 'add',
    subsystem: 'hidraw',
    env,
    reportDescriptor,
  });

  it('tags a FIDO key for the seat user when 60-fido-id.rules already ran (no second fido_id)', () => {
    const out = evaluate(
      rules,
      hidraw({ ID_FIDO_TOKEN: '1', ID_SECURITY_TOKEN: '1' }, FIDO_DESCRIPTOR),
    );
    assert.deepEqual([...out.tags], ['uaccess']);
    assert.equal(out.imported, 0);
  });

  it('falls back to fido_id itself when 60-fido-id.rules is absent', () => {
    const out = evaluate(rules, hidraw({}, FIDO_DESCRIPTOR));
    assert.deepEqual([...out.tags], ['uaccess']);
    assert.equal(out.env.ID_SECURITY_TOKEN, '1');
    assert.equal(out.imported, 1);
  });

  it('leaves keyboards, other subsystems and removals alone', () => {
    assert.equal(evaluate(rules, hidraw({}, KEYBOARD_DESCRIPTOR)).tags.size, 0);
    assert.equal(evaluate(rules, hidraw({}, null)).tags.size, 0);
    assert.equal(
      evaluate(rules, { ...hidraw({}, FIDO_DESCRIPTOR), subsystem: 'usb' }).tags.size,
      0,
    );
    const removed = evaluate(rules, {
      ...hidraw({ ID_SECURITY_TOKEN: '1' }, FIDO_DESCRIPTOR),
      action: 'remove',
    });
    assert.equal(removed.tags.size, 0);
    assert.equal(removed.imported, 0);
  });
});
