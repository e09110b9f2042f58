"""The official Python client (kubernetes on PyPI) doing ordinary Lease work against one server:
create, read, replace with a stale and a fresh resourceVersion, merge patch, list by label, delete,
and a watch that sees all of it. Prints one JSON object per step on stdout; after "listed" it waits
for a line on stdin, so that the test (test/peers/pythonClientScenarios.ts) can read what it stored
with another client before the delete.

    python crud.py --kubeconfig FILE --namespace NS --name NAME
"""

import argparse
import datetime
import json
import sys
import threading

from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException


def say(step, **fields):
    print(json.dumps({"step": step, **fields}, default=str), flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--kubeconfig", required=True)
    parser.add_argument("--namespace", required=True)
    parser.add_argument("--name", required=True)
    args = parser.parse_args()
    config.load_kube_config(config_file=args.kubeconfig)
    api = client.CoordinationV1Api()
    ns, name = args.namespace, args.name

    seen = []
    watching = threading.Event()
    done = threading.Event()

    def follow():
        stream = watch.Watch()
        watching.set()
        for event in stream.stream(api.list_namespaced_lease, ns, field_selector=f"metadata.name={name}", timeout_seconds=30):
            lease = event["object"]
            seen.append([event["type"], lease.spec.holder_identity, lease.metadata.resource_version])
            if event["type"] == "DELETED":
                break
        done.set()

    follower = threading.Thread(target=follow, daemon=True)
    follower.start()
    watching.wait()

    now = datetime.datetime.now(datetime.timezone.utc)
    spec = client.V1LeaseSpec(holder_identity="python-1", lease_duration_seconds=7, acquire_time=now, renew_time=now, lease_transitions=0)
    created = api.create_namespaced_lease(ns, client.V1Lease(metadata=client.V1ObjectMeta(name=name), spec=spec))
    say("created", resourceVersion=created.metadata.resource_version, renewTime=created.spec.renew_time.isoformat())

    read = api.read_namespaced_lease(name, ns)
    say("read", holder=read.spec.holder_identity, leaseDurationSeconds=read.spec.lease_duration_seconds,
        renewTime=read.spec.renew_time.isoformat(), sameVersion=read.metadata.resource_version == created.metadata.resource_version)

    read.spec.holder_identity = "python-2"
    read.spec.lease_transitions = 1
    replaced = api.replace_namespaced_lease(name, ns, read)
    say("replaced", holder=replaced.spec.holder_identity, transitions=replaced.spec.lease_transitions,
        newerVersion=replaced.metadata.resource_version != read.metadata.resource_version)

    read.spec.holder_identity = "stale"
    try:
        api.replace_namespaced_lease(name, ns, read)
        say("stale-replace", status=200)
    except ApiException as error:
        say("stale-replace", status=error.status, reason=json.loads(error.body).get("reason"))

    patched = api.patch_namespaced_lease(name, ns, {"metadata": {"labels": {"peer": "python"}}})
    say("patched", labels=patched.metadata.labels, holder=patched.spec.holder_identity)

    listed = api.list_namespaced_lease(ns, label_selector="peer=python")
    say("listed", names=[lease.metadata.name for lease in listed.items])
    sys.stdin.readline()

    api.delete_namespaced_lease(name, ns)
    try:
        api.read_namespaced_lease(name, ns)
        say("read-after-delete", status=200)
    except ApiException as error:
        say("read-after-delete", status=error.status)

    done.wait(timeout=30)
    say("watched", events=seen)


if __name__ == "__main__":
    main()
