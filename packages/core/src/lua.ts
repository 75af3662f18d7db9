import { readFileSync } from 'node:fs';

/*
 * The Lua scripts of crawlfleet's own Redis commands live in packages/core/lua/,
 * one file a script, each opening with a comment that names its KEYS and ARGV
 * (BullMQ's style). They are read here, once each, when a command is first defined.
 */

const loaded = new Map<string, string>();

/** The Lua source of packages/core/lua/<name>.lua (beside dist/ and src/). */
export function luaScript(name: string): string {
  let source = loaded.get(name);
  if (source === undefined) {
    source = readFileSync(new URL(`../lua/${name}.lua`, import.meta.url), 'utf8');
    loaded.set(name, source);
  }
  return source;
}
