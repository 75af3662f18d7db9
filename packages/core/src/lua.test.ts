import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { luaScript } from './lua.js';

const root = join(import.meta.dirname, '..', '..', '..');

describe('Lua scripts', () => {
  it('live in packages/core/lua, each naming its KEYS and ARGV in its header', () => {
    const names = readdirSync(join(root, 'packages/core/lua')).filter((name) => name.endsWith('.lua'));
    expect(names.length).toBeGreaterThan(10);
    for (const name of names) {
      const source = luaScript(name.slice(0, -'.lua'.length));
      const header = /^--\[\[([\s\S]*?)\]\]/.exec(source)?.[1] ?? '';
      expect(header, name).toMatch(/KEYS/);
      expect(header, name).toMatch(/ARGV/);
    }
  });
});
