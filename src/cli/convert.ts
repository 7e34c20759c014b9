// `emgpu convert`: the conversion to and from fitted scikit-learn mixtures. The work is done by
// scripts/sklearn_model.py (shipped in the package: package.json "files"), run with a Python
// that has numpy and scikit-learn; its stdout and stderr pass through, and its exit code is ours.

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { CliError, EXIT, printable } from './errors.ts';
import { PACKAGE_ROOT } from './package-root.ts';
import { isAbortError } from '../errors.ts';

/** The conversion script, where the package (or the repository) has it. */
export const CONVERT_SCRIPT = fileURLToPath(new URL('scripts/sklearn_model.py', PACKAGE_ROOT));

export const CONVERT_DIRECTIONS = ['to-sklearn', 'from-sklearn', 'check'] as const;
export type ConvertDirection = (typeof CONVERT_DIRECTIONS)[number];

export interface ConvertOpts {
  python?: string;
}

export const CONVERT_HELP = `
to-sklearn MODEL.json OUT.pkl   pickle a fitted sklearn GaussianMixture (or
                                BayesianGaussianMixture for 'fit --bayesian'
                                models) that predicts with emgpu's parameters
from-sklearn IN.pkl MODEL.json  a pickled, fitted sklearn mixture as an emgpu
                                model (predict, score, sample, stats read it)
check MODEL.json DATA.csv       the largest differences between emgpu's and
                                sklearn's score_samples and predict_proba

Needs Python 3 with numpy and scikit-learn (--python, default python3; on
Debian: apt-get install python3-sklearn, then --python /usr/bin/python3). The
script is scripts/sklearn_model.py in the package; outputs are written
atomically (complete or not at all).`;

/** Runs the conversion script; resolves to its exit code. */
export function convertCommand(
  direction: ConvertDirection,
  source: string,
  target: string,
  opts: ConvertOpts,
  io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream; signal: AbortSignal },
): Promise<number> {
  const python = opts.python ?? 'python3';
  return new Promise<number>((resolvePromise, reject) => {
    const child = spawn(python, [CONVERT_SCRIPT, direction, source, target], {
      stdio: ['ignore', 'pipe', 'pipe'],
      signal: io.signal,
    });
    child.stdout.on('data', (chunk: Buffer) => io.stdout.write(chunk));
    // The script's messages (one line each), given as ours: "emgpu: sklearn_model.py …".
    let messages = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => (messages += chunk));
    child.on('error', (error: NodeJS.ErrnoException) => {
      if (isAbortError(error)) reject(error);
      else if (error.code === 'ENOENT')
        reject(
          new CliError(
            `convert needs Python 3 with numpy and scikit-learn, and '${printable(python)}' was not found; install it or pass --python PATH.`,
          ),
        );
      else reject(new CliError(`convert could not run '${printable(python)}' (${error.message}); pass --python PATH.`));
    });
    child.on('close', (code: number | null) => {
      for (const line of messages.split('\n')) if (line.trim() !== '') io.stderr.write(`emgpu: ${printable(line)}\n`);
      resolvePromise(code ?? EXIT.internal);
    });
  });
}
