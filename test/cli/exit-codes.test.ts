// `emgpu --help` (and each command's --help that ends with them) lists every exit code main() returns.

import { describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/errors.ts';
import { run } from './helpers.ts';

describe('exit codes in --help', () => {
  it('emgpu --help names each code with what it means', async () => {
    const { code, stdout } = await run(['--help']);
    expect(code).toBe(0);
    const text = stdout.slice(stdout.indexOf('Exit codes:')).replace(/\s+/g, ' ');
    for (const [value, words] of [
      [EXIT.ok, 'success'],
      [EXIT.fitFailed, 'the fit failed'],
      [EXIT.usage, 'usage or input error'],
      [EXIT.internal, 'internal error'],
      [EXIT.interrupted, 'interrupted (Ctrl-C)'],
      [EXIT.hangup, 'stopped by SIGHUP'],
      [EXIT.terminated, 'stopped by SIGTERM'],
    ] as const) {
      expect(text).toContain(`${value} ${words}`);
    }
    expect([EXIT.interrupted, EXIT.hangup, EXIT.terminated]).toEqual([130, 129, 143]);
  });

  it.each([
    'fit',
    'select',
    'predict',
    'score',
    'summary',
    'sample',
    'stats',
    'merge',
    'mstep',
    'convert',
    'reservoir',
    'serve',
  ])('%s --help ends with them too', async (command) => {
    const { stdout } = await run([command, '--help']);
    expect(stdout.replace(/\s+/g, ' ')).toMatch(/Exit codes: 0 success, .* 143 stopped by SIGTERM\.\s*$/);
  });
});
