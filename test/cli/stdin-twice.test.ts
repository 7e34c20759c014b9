// Reading stdin a second time in one command: the first read takes the stream to its end, and a
// stream that has ended emits no second 'end'. The second read must fail at once with one
// sentence naming the input, never wait forever (the flag rules refuse the known pairs of
// stdin inputs; this is the guard behind them for any new one).
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readSource } from '../../src/cli/data.ts';
import { CliError } from '../../src/cli/errors.ts';

describe('stdin read twice', () => {
  it('gives the first read the text and refuses the second in one sentence, without waiting', async () => {
    const stdin = Readable.from([Buffer.from('a,b\n1,2\n')]);
    const first = await readSource('-', 'data file', stdin);
    expect(first.text).toBe('a,b\n1,2\n');
    const second = readSource('-', 'sample-weight file', stdin);
    const timeout = new Promise<'timed out'>((resolve) => setTimeout(() => resolve('timed out'), 2000));
    const outcome = await Promise.race([
      second.then(
        () => 'resolved',
        (error: unknown) => error,
      ),
      timeout,
    ]);
    expect(outcome).toBeInstanceOf(CliError);
    expect((outcome as CliError).message).toBe(
      'cannot read sample-weight file from stdin: it was already read to its end by another input of this command; give this input as a file.',
    );
  });
});
