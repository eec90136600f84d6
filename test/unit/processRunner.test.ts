// A command agent that fails is said by the last lines of its stderr: the error, not the frames of a
// stack trace or the runtime's version line that follow it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lastWords } from '../../src/host/sessions/runners/processRunner';

test("a failed agent's reason is its error, past the stack trace Node prints after it", () => {
  const stderr = [
    'file:///tmp/agent.mjs:12',
    "    const delta = chunk.choices[0].delta;",
    "TypeError: Cannot read properties of undefined (reading 'delta')",
    '    at file:///tmp/agent.mjs:12:35',
    '    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)',
    '',
    'Node.js v20.20.2',
  ];
  assert.deepEqual(lastWords(stderr), ['file:///tmp/agent.mjs:12', 'const delta = chunk.choices[0].delta;', "TypeError: Cannot read properties of undefined (reading 'delta')"]);
  assert.deepEqual(lastWords(['error: no such file', 'usage: agent [options]']), ['error: no such file', 'usage: agent [options]']);
  assert.deepEqual(lastWords(['    at only frames']), ['at only frames']);
  // An error with properties of its own: Node prints them as an object after the last frame.
  const withProperties = [
    'node:fs:562',
    '  return binding.open(',
    '                 ^',
    '',
    "Error: ENOENT: no such file or directory, open 'plan.md'",
    '    at Object.openSync (node:fs:562:18)',
    '    at file:///tmp/agent.mjs:3:1 {',
    '  errno: -2,',
    "  code: 'ENOENT',",
    "  path: 'plan.md'",
    '}',
    '',
    'Node.js v24.21.0',
  ];
  assert.deepEqual(lastWords(withProperties), ['node:fs:562', 'return binding.open(', "Error: ENOENT: no such file or directory, open 'plan.md'"]);
  // Only the end of the block kept (the last lines of stderr began inside it): the error before it is said.
  assert.deepEqual(lastWords(['Error: the build failed', "  code: 'E_BUILD',", "  step: 'link'", '}', '', 'Node.js v24.21.0']), ['Error: the build failed']);
});
