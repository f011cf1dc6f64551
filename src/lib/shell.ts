// POSIX shell quoting: every remote command is built from quoted words, never from raw strings.

const SAFE_WORD = /^[A-Za-z0-9_./:@%+=,-]+$/;

/** Quote one word for a POSIX shell (`'...'` with `'\''` for inner quotes). */
export function shQuote(word: string): string {
  if (word !== '' && SAFE_WORD.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Join argv into one command line, each word quoted. */
export function shJoin(argv: readonly string[]): string {
  return argv.map(shQuote).join(' ');
}
