/**
 * A robots.txt path pattern: literal text with `*` (any characters) and a
 * final `$` (end of path). Matched in time linear in the path: the pattern is
 * split at its stars, the first piece must start the path and each later
 * piece is found with indexOf after the one before (the leftmost place is
 * always the best one, so nothing is ever tried twice).
 */
export interface Wildcard {
  matches(path: string): boolean;
}

export function compileWildcard(pattern: string): Wildcard {
  const anchored = pattern.endsWith('$');
  const pieces = (anchored ? pattern.slice(0, -1) : pattern).split('*');
  const first = pieces[0];
  if (pieces.length === 1) {
    return { matches: anchored ? (path) => path === first : (path) => path.startsWith(first) };
  }
  const middle = pieces.slice(1, -1).filter(Boolean);
  const last = pieces[pieces.length - 1];
  return {
    matches(path) {
      if (!path.startsWith(first)) return false;
      let at = first.length;
      for (const piece of middle) {
        const found = path.indexOf(piece, at);
        if (found < 0) return false;
        at = found + piece.length;
      }
      if (anchored) return path.length - last.length >= at && path.endsWith(last);
      return last === '' || path.indexOf(last, at) >= 0;
    },
  };
}
