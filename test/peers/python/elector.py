"""The official Python client's leader election (kubernetes.leaderelection with its LeaseLock) as a
peer for leasehold's benchmarks, shaped like the client-go elector (test/peers/client-go): run again
after every term, a guarded command only while leading (its own session, SIGKILL as its
parent-death signal, its group killed in onstopped_leading), JSON lines on stdout (ready, started,
command-started, command-stopped, stopped, exiting) with wall-clock and monotonic time.

    python elector.py --kubeconfig FILE --lease NAME --identity ID [--namespace default]
        [--lease-duration 15 --renew-deadline 10 --retry-period 2] [--electors N] [-- CMD ARGS...]

The library has no release and no cancellation: onstarted_leading runs in a thread nobody stops,
and SIGTERM here kills the command and exits, leaving the lease to expire. Durations are seconds
(the library writes int(lease_duration); retry_period must be at least 1).
"""

import argparse
import concurrent.futures
import ctypes
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time

from kubernetes import config
from kubernetes.leaderelection import electionconfig, leaderelection
from kubernetes.leaderelection.resourcelock.leaselock import LeaseLock

PR_SET_PDEATHSIG = 1
libc = ctypes.CDLL("libc.so.6", use_errno=True)
out = threading.Lock()


def report(event, **fields):
    line = {"event": event, "wallNs": time.time_ns(), "monoNs": time.clock_gettime_ns(time.CLOCK_MONOTONIC), **fields}
    with out:
        sys.stdout.write(json.dumps(line) + "\n")
        sys.stdout.flush()


class Elector:
    def __init__(self, args, lease, identity):
        self.args, self.lease, self.identity = args, lease, identity
        self.command = None
        self.mu = threading.Lock()
        # Linux sends the parent-death signal when the *thread* that forked dies, and the library runs
        # onstarted_leading in a thread that ends as soon as it returns: fork from one that stays.
        self.spawner = concurrent.futures.ThreadPoolExecutor(max_workers=1)
        self.shutting_down = False

    def started(self, round):
        report("started", identity=self.identity, lease=self.lease, round=round)
        with self.mu:
            if not self.args.command or self.shutting_down:
                return
            self.command = self.spawner.submit(
                subprocess.Popen,
                self.args.command,
                start_new_session=True,
                preexec_fn=lambda: libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL),
                stdout=sys.stderr,
                env={**os.environ, "ELECTION_IDENTITY": self.identity, "ELECTION_LEASE": self.lease},
            ).result()
            report("command-started", identity=self.identity, lease=self.lease, round=round, pid=self.command.pid)

    def stopped(self, round):
        self.stop_command(round)
        report("stopped", identity=self.identity, lease=self.lease, round=round)

    def stop_command(self, round=0):
        with self.mu:
            command, self.command = self.command, None
            if command is None:
                return
            try:
                os.killpg(command.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            command.wait()
            report("command-stopped", identity=self.identity, lease=self.lease, round=round, pid=command.pid)

    def config(self, round):
        namespace, name = self.lease.split("/")
        return electionconfig.Config(
            LeaseLock(name, namespace, self.identity),
            lease_duration=self.args.lease_duration,
            renew_deadline=self.args.renew_deadline,
            retry_period=self.args.retry_period,
            onstarted_leading=lambda: self.started(round),
            onstopped_leading=lambda: self.stopped(round),
        )

    def compete(self):
        round = 0
        while not self.shutting_down:
            round += 1
            leaderelection.LeaderElection(self.config(round)).run()


def main():
    argv = sys.argv[1:]
    command = argv[argv.index("--") + 1:] if "--" in argv else []
    argv = argv[: argv.index("--")] if "--" in argv else argv
    parser = argparse.ArgumentParser()
    parser.add_argument("--kubeconfig", required=True)
    parser.add_argument("--namespace", default="default")
    parser.add_argument("--lease", required=True)
    parser.add_argument("--identity", required=True)
    parser.add_argument("--lease-duration", type=float, default=15)
    parser.add_argument("--renew-deadline", type=float, default=10)
    parser.add_argument("--retry-period", type=float, default=2)
    parser.add_argument("--electors", type=int, default=1)
    args = parser.parse_args(argv)
    args.command = command
    # The library stores str(lease_duration) and writes int() of it: 15.0 would fail as '15.0'.
    if args.lease_duration.is_integer():
        args.lease_duration = int(args.lease_duration)
    config.load_kube_config(config_file=args.kubeconfig)
    # The library says what it sees only in its log ("yet to finish lease_duration, lease held by X").
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s %(message)s")

    electors = [Elector(args, f"{args.namespace}/{args.lease}", args.identity)]
    if args.electors > 1:
        electors = [Elector(args, f"{args.namespace}/{args.lease}-{i}", f"{args.identity}-{i}") for i in range(args.electors)]

    def shut_down(signum, _frame):
        for elector in electors:
            elector.shutting_down = True
            elector.stop_command()
        report("exiting", identity=args.identity, status=0)
        os._exit(0)

    electors[0].config(0)  # the library validates with sys.exit(), which in a thread would end only that thread
    signal.signal(signal.SIGTERM, shut_down)
    signal.signal(signal.SIGINT, shut_down)
    report("ready", identity=args.identity, lease=f"{args.namespace}/{args.lease}")
    for elector in electors:
        threading.Thread(target=elector.compete, daemon=True).start()
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
