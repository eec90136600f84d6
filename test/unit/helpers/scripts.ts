// Test-upstream scripts several suites use.

/** Writes out.txt, then finishes: two turns, with a file change (a commit) in between. */
export const writesThenFinishes = {
  steps: [
    { calls: [{ name: 'write_file', arguments: { path: 'out.txt', content: 'hello\n' } }] },
    { calls: [{ name: 'finish', arguments: { summary: 'wrote out.txt' } }] },
  ],
};
