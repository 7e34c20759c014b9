#!/usr/bin/env python3
"""EM for Gaussian mixtures over the partitions of a table on a Dask cluster, with emgpu.

    python3 emgpu_dask.py fit PARTS... -k K [--covariance T] [--init FILE|METHOD]
        [--max-iter N] [--tol T] [--reg-covar R] [--seed S] [--columns LIST] [--format F]
        [--missing MODE] [--weight-column NAME] [--backend B] [--sample-size M]
        (--scheduler ADDRESS | --local-workers N) -o MODEL.json

Each PART (a CSV, TSV, Parquet or Arrow file, or a glob of them) is one partition; every worker
must be able to read it at the same path (a shared file system) and must have the `emgpu`
command (`--emgpu CMD` or $EMGPU_COMMAND otherwise). Each iteration maps `emgpu stats` over the
partitions on the workers, sums the statistics with a tree of merges (on the workers too) and
runs `emgpu mstep` on the driver, until the lower bound changes by less than --tol or --max-iter
iterations: exactly the iterations of `emgpu fit` on the concatenated table from the same start.

Without an --init file the start is drawn as `emgpu fit --stream` draws it: a uniform sample of
--sample-size rows across the partitions (`emgpu reservoir` on each, combined on the driver; the
whole table, in order, when it has no more rows), on which the init method runs with --seed.

Each worker keeps one long-lived `emgpu serve` process and sends it a line per partition, so Node
starts once per worker rather than once per task. A partition's statistics are a deterministic
function of the partition and the model, so a task that Dask runs again (its worker died) gives
the same numbers. A partition that fails (unreadable, corrupt, missing columns) stops the fit
with one line naming it (exit 2); a partition whose rows are all missing (--missing
marginalize) adds nothing to the sums. Progress, one line per iteration, goes to stderr.

Needs Python 3.9+ and dask.distributed (Debian: python3-distributed); nothing else.
"""

from __future__ import annotations

import argparse
import bisect
import glob
import hashlib
import json
import logging
import os
import random
import shlex
import signal
import subprocess
import sys
import tempfile
import threading
import time

PROG = "emgpu_dask"
STATISTICS_FORMAT = "emgpu-statistics"


class FitError(Exception):
    """A problem the user can fix: printed as one line, exit 2."""


# ---- one long-lived `emgpu serve` process ------------------------------------------------------


class EmgpuServer:
    """`emgpu serve` in a child process: run(argv) sends one request line and reads its answer."""

    def __init__(self, command: list[str]):
        self.command = command
        self.lock = threading.Lock()
        self.proc: subprocess.Popen | None = None

    def _start(self) -> subprocess.Popen:
        try:
            return subprocess.Popen(
                [*self.command, "serve"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
                encoding="utf-8",
                bufsize=1,
            )
        except OSError as error:
            raise FitError(
                f"cannot start {shlex.join(self.command)!r} ({error.strerror}); install emgpu on every machine "
                "or pass its command with --emgpu"
            ) from None

    def run(self, argv: list[str]) -> dict:
        with self.lock:
            if self.proc is None or self.proc.poll() is not None:
                self.proc = self._start()
            assert self.proc.stdin is not None and self.proc.stdout is not None
            try:
                self.proc.stdin.write(json.dumps(argv) + "\n")
                self.proc.stdin.flush()
                line = self.proc.stdout.readline()
            except BrokenPipeError:
                line = ""
            if not line:
                code = self.proc.wait()
                self.proc = None
                raise FitError(
                    f"{shlex.join(self.command)} serve ended (exit {code}) before answering; check that "
                    "'emgpu serve' runs on this machine"
                )
            return json.loads(line)

    def close(self) -> None:
        with self.lock:
            if self.proc is not None:
                if self.proc.stdin is not None:
                    self.proc.stdin.close()
                self.proc.wait()
                self.proc = None


def emgpu_error(answer: dict) -> str:
    """emgpu's error line without its 'emgpu: ' prefix."""
    lines = [line for line in answer.get("stderr", "").splitlines() if line.strip()]
    text = lines[-1] if lines else f"exit {answer.get('exitCode')}"
    return text[len("emgpu: ") :] if text.startswith("emgpu: ") else text


# ---- tasks (run on the workers) ----------------------------------------------------------------


def _worker_state(command: list[str]) -> dict:
    """The worker's emgpu server and model folder, made on its first task."""
    from distributed import get_worker

    worker = get_worker()
    state = getattr(worker, "_emgpu_dask", None)
    if state is None or state["command"] != command:
        state = {
            "command": command,
            "server": EmgpuServer(command),
            # Dask removes the worker's local directory when the worker ends.
            "dir": tempfile.mkdtemp(prefix="emgpu-dask-", dir=worker.local_directory),
            "model": None,
            "lock": threading.Lock(),
        }
        setattr(worker, "_emgpu_dask", state)
    return state


def _model_file(state: dict, model_text: str) -> str:
    """The model written once per worker and iteration (named by its hash), the last one removed."""
    name = hashlib.sha256(model_text.encode("utf-8")).hexdigest()[:16]
    path = os.path.join(state["dir"], f"model-{name}.json")
    with state["lock"]:
        if state["model"] != path:
            with open(path + ".tmp", "w", encoding="utf-8") as out:
                out.write(model_text)
            os.replace(path + ".tmp", path)
            old, state["model"] = state["model"], path
            if old is not None and os.path.exists(old):
                os.remove(old)
    return path


def _maybe_die(spec: list | None, iteration: int, index: int) -> None:
    """Fault injection for the tests: kill this worker process the first time it runs a given task."""
    if spec is None or spec[0] != iteration or spec[1] != index:
        return
    try:
        fd = os.open(spec[2], os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        return
    os.close(fd)
    os.kill(os.getpid(), signal.SIGKILL)


def partition_stats(
    index: int, path: str, model_text: str, data_args: list, command: list, kill: list | None, iteration: int
):
    """The statistics of one partition under the model (a dict), or None when its weight is zero."""
    state = _worker_state(command)
    model = _model_file(state, model_text)
    _maybe_die(kill, iteration, index)
    answer = state["server"].run(["stats", "--model", model, *data_args, path])
    if answer["exitCode"] != 0:
        raise FitError(f"partition {index} ({path}): {emgpu_error(answer)}")
    stats = json.loads(answer["stdout"])
    return stats if stats["totalWeight"] > 0 else {"zero": True, "nRows": stats["nRows"]}


def partition_reservoir(index: int, path: str, size: int, seed: int, data_args: list, command: list):
    """A uniform sample of one partition's rows, and their number (`emgpu reservoir`)."""
    state = _worker_state(command)
    answer = state["server"].run(["reservoir", "--size", str(size), "--seed", str(seed), *data_args, path])
    if answer["exitCode"] != 0:
        raise FitError(f"partition {index} ({path}): {emgpu_error(answer)}")
    return json.loads(answer["stdout"])


# ---- merging statistics (the sums of README's statistics API, in float64) ----------------------


def merge_statistics(a: dict, b: dict) -> dict:
    """The statistics of two parts' rows together; a zero-weight part ({"zero": True}) adds only its rows."""
    if a.get("zero"):
        return _with_rows(b, a["nRows"])
    if b.get("zero"):
        return _with_rows(a, b["nRows"])
    for key in ("format", "version", "estimator", "covarianceType", "nComponents", "nFeatures", "parameters"):
        if a[key] != b[key]:
            raise FitError(f"two partitions' statistics differ in {key} ({a[key]!r} and {b[key]!r})")
    full = isinstance(a["sumOuter"][0][0], list)
    out = dict(a)
    out["backend"] = a["backend"] if a["backend"] == b["backend"] else f"{a['backend']} + {b['backend']}"
    out["nRows"] = a["nRows"] + b["nRows"]
    out["totalWeight"] = a["totalWeight"] + b["totalWeight"]
    out["sumLogLik"] = a["sumLogLik"] + b["sumLogLik"]
    out["sumRespLogResp"] = a["sumRespLogResp"] + b["sumRespLogResp"]
    out["sumResp"] = [x + y for x, y in zip(a["sumResp"], b["sumResp"])]
    sum_diff, sum_outer = [], []
    for k in range(a["nComponents"]):
        # b's moments re-centred from its shift c to a's c': with δ = c − c′,
        # Σ(x − c′)(x − c′)ᵀ = Σ(x − c)(x − c)ᵀ + δ·sumDiffᵀ + sumDiff·δᵀ + sumResp·δ·δᵀ.
        delta = [c - c0 for c, c0 in zip(b["shift"][k], a["shift"][k])]
        r, diff = b["sumResp"][k], b["sumDiff"][k]
        d = len(delta)
        if full:
            outer = [
                [
                    b["sumOuter"][k][i][j] + delta[i] * diff[j] + diff[i] * delta[j] + r * delta[i] * delta[j]
                    for j in range(d)
                ]
                for i in range(d)
            ] if any(delta) else b["sumOuter"][k]
            sum_outer.append([[x + y for x, y in zip(ra, rb)] for ra, rb in zip(a["sumOuter"][k], outer)])
        else:
            outer = (
                [b["sumOuter"][k][i] + 2 * delta[i] * diff[i] + r * delta[i] ** 2 for i in range(d)]
                if any(delta)
                else b["sumOuter"][k]
            )
            sum_outer.append([x + y for x, y in zip(a["sumOuter"][k], outer)])
        moved = [diff[i] + r * delta[i] for i in range(d)] if any(delta) else diff
        sum_diff.append([x + y for x, y in zip(a["sumDiff"][k], moved)])
    out["sumDiff"] = sum_diff
    out["sumOuter"] = sum_outer
    return out


def _with_rows(stats: dict, rows: int) -> dict:
    out = dict(stats)
    out["nRows"] = stats["nRows"] + rows
    return out


# ---- the driver --------------------------------------------------------------------------------


def expand_parts(patterns: list[str]) -> list[str]:
    parts: list[str] = []
    for pattern in patterns:
        if glob.has_magic(pattern):
            found = sorted(glob.glob(pattern))
            if not found:
                raise FitError(f"no file matches {pattern!r}; check the pattern (quote it so the shell leaves it alone)")
            parts.extend(found)
        else:
            parts.append(pattern)
    return parts


def data_arguments(args: argparse.Namespace) -> list[str]:
    out: list[str] = []
    if args.format:
        out += ["--format", args.format]
    if args.columns:
        out += ["--columns", args.columns]
    if args.missing:
        out += ["--missing", args.missing]
    if args.weight_column:
        out += ["--weight-column", args.weight_column]
    return out


def combined_sample(reservoirs: list[dict], size: int, rng: random.Random) -> tuple[list, list | None]:
    """A uniform sample of `size` rows of all the partitions (all rows in order when there are no more)."""
    counts = [r["nRows"] for r in reservoirs]
    total = sum(counts)
    weighted = reservoirs[0]["weights"] is not None
    rows: list = []
    weights: list | None = [] if weighted else None
    if total <= size:
        take = [list(range(len(r["rows"]))) for r in reservoirs]
    else:
        # Which of the `total` rows the sample holds: `size` of them without replacement; each
        # partition then gives that many rows of its own uniform sample, chosen at random.
        ends = []
        at = 0
        for n in counts:
            at += n
            ends.append(at)
        per = [0] * len(reservoirs)
        for row in rng.sample(range(total), size):
            per[bisect.bisect_right(ends, row)] += 1
        take = [sorted(rng.sample(range(len(r["rows"])), c)) for r, c in zip(reservoirs, per)]
    for r, picked in zip(reservoirs, take):
        rows.extend(r["rows"][i] for i in picked)
        if weights is not None:
            weights.extend(r["weights"][i] for i in picked)
    return rows, weights


def number(value) -> str:
    return "" if value is None else repr(float(value))


def write_sample(folder: str, rows: list, weights: list | None) -> tuple[str, str | None]:
    path = os.path.join(folder, "sample.csv")
    with open(path, "w", encoding="utf-8") as out:
        out.write(",".join(f"c{j}" for j in range(len(rows[0]))) + "\n")
        for row in rows:
            out.write(",".join(number(v) for v in row) + "\n")
    if weights is None:
        return path, None
    wpath = os.path.join(folder, "sample-weights.csv")
    with open(wpath, "w", encoding="utf-8") as out:
        out.writelines(repr(float(w)) + "\n" for w in weights)
    return path, wpath


def tree_reduce(client, futures: list, iteration: int):
    """Pairwise merges on the workers until one part is left."""
    level = 0
    while len(futures) > 1:
        nxt = [
            client.submit(merge_statistics, futures[i], futures[i + 1], key=f"emgpu-merge-{iteration}-{level}-{i}")
            for i in range(0, len(futures) - 1, 2)
        ]
        if len(futures) % 2:
            nxt.append(futures[-1])
        futures = nxt
        level += 1
    return futures[0]


def say(line: str) -> None:
    print(f"{PROG}: {line}", file=sys.stderr, flush=True)


def fit(args: argparse.Namespace) -> int:
    from distributed import Client, LocalCluster

    command = shlex.split(args.emgpu)
    parts = expand_parts(args.parts)
    data_args = data_arguments(args)
    seed = args.seed if args.seed is not None else random.randrange(2**32)
    kill_spec = os.environ.get("EMGPU_DASK_TEST_KILL")  # "ITERATION:PARTITION:MARKER" (tests only)
    kill = None
    if kill_spec:
        it, part, marker = kill_spec.split(":", 2)
        kill = [int(it), int(part), marker]
    driver = EmgpuServer(command)
    folder = tempfile.mkdtemp(prefix="emgpu-dask-driver-")
    cluster = None
    try:
        if args.scheduler:
            client = Client(args.scheduler)
        else:
            cluster = LocalCluster(
                n_workers=args.local_workers,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
                silence_logs=logging.ERROR,
            )
            client = Client(cluster)
        with client:
            started = time.perf_counter()
            # The start: a sample across the partitions (which also reads each partition once).
            # Partition i goes to the same worker on every pass (its `emgpu serve` keeps the
            # decoded table), or to another when that worker is gone.
            def place(i: int, workers: list) -> dict:
                return {"workers": [workers[i % len(workers)]], "allow_other_workers": True} if workers else {}

            workers = sorted(client.scheduler_info()["workers"])
            futures = [
                client.submit(
                    partition_reservoir,
                    i,
                    path,
                    args.sample_size,
                    (seed + 0x9E3779B9 * (i + 1)) % 2**32,
                    data_args,
                    command,
                    key=f"emgpu-reservoir-{i}",
                    **place(i, workers),
                )
                for i, path in enumerate(parts)
            ]
            reservoirs = client.gather(futures)
            widths = {r["nFeatures"] for r in reservoirs}
            if len(widths) > 1:
                first = reservoirs[0]["nFeatures"]
                odd = next(i for i, r in enumerate(reservoirs) if r["nFeatures"] != first)
                raise FitError(
                    f"partition {odd} ({parts[odd]}) has {reservoirs[odd]['nFeatures']} columns but partition 0 "
                    f"({parts[0]}) has {first}; every partition needs the same columns (choose them with --columns)"
                )
            rows, weights = combined_sample(reservoirs, args.sample_size, random.Random(seed))
            if not rows:
                raise FitError("the partitions have no rows; pass partitions with data")
            sample, sample_weights = write_sample(folder, rows, weights)
            model_path = os.path.join(folder, "model-0.json")
            init = ["fit", sample, "--covariance", args.covariance, "--seed", str(seed), "--max-iter", "0"]
            init += ["--tol", repr(args.tol), "--reg-covar", repr(args.reg_covar), "--backend", "cpu", "-o", model_path]
            if args.components is not None:
                init += ["-k", str(args.components)]
            init += ["--init", args.init]
            if sample_weights is not None:
                init += ["--sample-weight", sample_weights]
            if args.missing:
                init += ["--missing", args.missing]
            answer = driver.run(init)
            if answer["exitCode"] != 0:
                raise FitError(f"the initialisation failed: {emgpu_error(answer)}")
            total_rows = sum(r["nRows"] for r in reservoirs)
            say(
                f"{len(parts)} partitions, {total_rows} rows; start from {args.init} on a sample of {len(rows)} rows "
                f"(seed {seed}), {time.perf_counter() - started:.2f} s"
            )
            with open(model_path, encoding="utf-8") as f:
                model_text = f.read()
            model = json.loads(model_text)
            previous = float("-inf")
            iteration = 0
            while model["nIter"] < args.max_iter and not model["converged"]:
                iteration += 1
                tick = time.perf_counter()
                shared = client.scatter(model_text, broadcast=True)
                workers = sorted(client.scheduler_info()["workers"])
                stats = [
                    client.submit(
                        partition_stats,
                        i,
                        path,
                        shared,
                        [*data_args, "--backend", args.backend],
                        command,
                        kill,
                        iteration,
                        key=f"emgpu-stats-{iteration}-{i}",
                        **place(i, workers),
                    )
                    for i, path in enumerate(parts)
                ]
                merged = tree_reduce(client, stats, iteration).result()
                if merged.get("zero"):
                    raise FitError("every row of every partition has weight 0 or only missing values; nothing to fit")
                stats_path = os.path.join(folder, f"stats-{iteration}.json")
                with open(stats_path, "w", encoding="utf-8") as out:
                    json.dump(merged, out)
                next_path = os.path.join(folder, f"model-{iteration}.json")
                answer = driver.run(["mstep", "--model", model_path, stats_path, "-o", next_path])
                if answer["exitCode"] != 0:
                    raise FitError(f"the M-step of iteration {iteration} failed: {emgpu_error(answer)}")
                os.remove(stats_path)
                os.remove(model_path)
                model_path = next_path
                with open(model_path, encoding="utf-8") as f:
                    model_text = f.read()
                model = json.loads(model_text)
                bound = model["lowerBound"]
                change = bound - previous
                previous = bound
                say(
                    f"iteration {model['nIter']}: lower bound {bound!r}, change "
                    f"{change:.3e}, {time.perf_counter() - tick:.2f} s"
                    + (f"; converged (|change| < tol {args.tol})" if model["converged"] else "")
                )
            if not model["converged"] and args.max_iter > 0:
                say(f"warning: the fit did not converge in {model['nIter']} iterations; raise --max-iter or --tol")
            model["options"]["maxIter"] = args.max_iter
            text = json.dumps(model, indent=2) + "\n"
            if args.output == "-":
                sys.stdout.write(text)
            else:
                tmp = args.output + f".tmp-{os.getpid()}"
                with open(tmp, "w", encoding="utf-8") as out:
                    out.write(text)
                os.replace(tmp, args.output)
        return 0
    finally:
        driver.close()
        for name in os.listdir(folder):
            os.remove(os.path.join(folder, name))
        os.rmdir(folder)
        if cluster is not None:
            cluster.close()


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog=PROG, description="EM for Gaussian mixtures over partitions on Dask, with emgpu.")
    sub = top.add_subparsers(dest="command", required=True)
    p = sub.add_parser("fit", help="fit a Gaussian mixture to the partitions and write the model JSON")
    p.add_argument("parts", nargs="+", metavar="PARTS", help="CSV, TSV, Parquet or Arrow files (or globs), one partition each")
    p.add_argument("-k", "--components", type=int, help="number of components (default: from an --init file, else 1)")
    p.add_argument("--covariance", default="full", choices=["full", "tied", "diag", "spherical"])
    p.add_argument("--init", default="kmeans", help="kmeans, k-means++, random, random_from_data or FILE.json")
    p.add_argument("--max-iter", type=int, default=100)
    p.add_argument("--tol", type=float, default=1e-3)
    p.add_argument("--reg-covar", type=float, default=1e-6)
    p.add_argument("--seed", type=int, help="random seed of the sample and the init method (default: random)")
    p.add_argument("--sample-size", type=int, default=100_000, help="rows of the sample the init runs on")
    p.add_argument("--columns", help="columns to use, by name or 0-based index: a,b,c")
    p.add_argument("--format", choices=["csv", "tsv", "json", "parquet", "arrow"])
    p.add_argument("--missing", choices=["error", "marginalize"])
    p.add_argument("--weight-column", help="a column of sample weights (not one of --columns)")
    p.add_argument("--backend", default="auto", choices=["auto", "cpu", "webgpu"], help="engine on the workers")
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--scheduler", help="address of a running Dask scheduler, e.g. tcp://10.0.0.5:8786")
    where.add_argument("--local-workers", type=int, help="start a local cluster of N worker processes (loopback)")
    p.add_argument("-o", "--output", required=True, help="the model JSON (written when the fit is done), or -")
    p.add_argument("--emgpu", default=os.environ.get("EMGPU_COMMAND", "emgpu"), help="the emgpu command (default: emgpu)")
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.max_iter < 0 or args.sample_size < 1 or (args.local_workers is not None and args.local_workers < 1):
        say("--max-iter must be ≥ 0, --sample-size and --local-workers ≥ 1")
        return 2
    try:
        return fit(args)
    except Exception as error:  # noqa: BLE001: a task's FitError comes back as a copy of the class
        if type(error).__name__ != "FitError":
            raise
        say(str(error))
        return 2
    except KeyboardInterrupt:
        say("interrupted; nothing was written")
        return 130


if __name__ == "__main__":
    sys.exit(main())
