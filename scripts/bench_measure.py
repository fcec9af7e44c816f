#!/usr/bin/env python3
"""Runs one command and prints what it cost, as one JSON line (standard library only).

    python3 -I -S bench_measure.py [--stdout FILE] [--stderr FILE] [--label NAME] -- COMMAND [ARG...]

{"label", "exit_code", "wall_s", "cpu_s", "user_s", "sys_s", "max_rss_kib"}: wall time from
just before the fork to the command's exit (this wrapper's own start-up is not in it); user+sys
CPU and peak resident set (ru_maxrss, KiB on Linux) from os.wait4 on the command's process,
which includes any children it waited for. The command's stdout/stderr go to the given files
(default: discarded). Exits with the command's exit code, so callers can tell a failed run.

RSS floor: Linux carries the pre-exec peak of a forked child into its ru_maxrss, so a command
never reads below what this wrapper had mapped when it forked. Hence plain os.fork (not vfork,
which would carry the whole interpreter's peak), no argparse/subprocess, and `-I -S`: the floor
is then ~5 MiB (`bench_measure.py -- true` shows it); only a smaller peak is misreported.
"""

import os
import sys
import time


def usage(msg):
    sys.stderr.write(f"bench_measure.py: {msg}\n{__doc__.splitlines()[2].strip()}\n")
    sys.exit(2)


def main():
    opts = {"--stdout": os.devnull, "--stderr": os.devnull, "--label": ""}
    args = sys.argv[1:]
    while args and args[0] != "--":
        if args[0] not in opts or len(args) < 2:
            usage(f"unknown or incomplete option {args[0]!r}")
        opts[args[0]] = args[1]
        args = args[2:]
    cmd = args[1:]
    if not cmd:
        usage("no command given")
    out = os.open(opts["--stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    err = os.open(opts["--stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    t0 = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # child: redirect and exec, nothing else
        try:
            nul = os.open(os.devnull, os.O_RDONLY)
            os.dup2(nul, 0)
            os.dup2(out, 1)
            os.dup2(err, 2)
            os.execvp(cmd[0], cmd)
        except OSError as e:
            os.write(2, f"bench_measure.py: cannot run {cmd[0]}: {e}\n".encode())
        os._exit(127)
    _, status, ru = os.wait4(pid, 0)
    wall = time.perf_counter() - t0
    code = os.waitstatus_to_exitcode(status)
    import json  # after the run: keeps the floor low

    print(json.dumps({"label": opts["--label"], "exit_code": code, "wall_s": round(wall, 4),
                      "cpu_s": round(ru.ru_utime + ru.ru_stime, 4), "user_s": round(ru.ru_utime, 4),
                      "sys_s": round(ru.ru_stime, 4), "max_rss_kib": ru.ru_maxrss}), flush=True)
    sys.exit(code if code >= 0 else 128 - code)


if __name__ == "__main__":
    main()
