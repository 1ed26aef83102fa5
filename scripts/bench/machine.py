"""What a benchmark ran on: CPU, kernel, the versions of what it compared,
the turnout commit, and how busy the machine was."""

import os
import platform
import re
import subprocess
import time


def _output(argv, cwd=None):
    """stdout and stderr of argv, stripped; the error when it cannot run."""
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=30, cwd=cwd)
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"({' '.join(argv)}: {error})"
    return (done.stdout + done.stderr).strip()


def _cpu_model():
    match = re.search(r"^Model name:\s*(.+)$", _output(["lscpu"]), re.MULTILINE)
    return match.group(1).strip() if match else platform.processor() or "unknown"


def _version(text, pattern):
    match = re.search(pattern, text)
    return match.group(1) if match else text


def load_average():
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def describe(repo, turnout_bin):
    """name -> value, in the order a reader wants them."""
    memory_kb = int(re.search(r"MemTotal:\s+(\d+)", open("/proc/meminfo").read()).group(1))
    return {
        "CPU": f"{_cpu_model()}, {os.cpu_count()} CPUs ({len(os.sched_getaffinity(0))} usable here)",
        "memory": f"{memory_kb / 1024 / 1024:.1f} GiB",
        "kernel": f"{platform.system()} {platform.release()}",
        "nginx": _version(_output(["nginx", "-v"]), r"nginx/(\S+)"),
        "HAProxy": _version(_output(["haproxy", "-v"]), r"version (\S+)"),
        "wrk": _version(_output(["wrk", "-v"]), r"wrk (\S+)"),
        "turnout": f"{_output(['git', 'describe', '--always', '--dirty'], cwd=repo)} "
                   f"({os.path.relpath(turnout_bin, repo)})",
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "load average at start (1, 5, 15 min)": load_average(),
    }
