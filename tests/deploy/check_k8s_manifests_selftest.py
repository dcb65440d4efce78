#!/usr/bin/python3
"""Shows check_k8s_manifests.py fails on broken manifests.

Copies deploy/k8s to a temporary directory, checks the copy as it is (it
must pass), then breaks it one way at a time and checks each broken copy:
every one must fail, naming the problem.

usage: check_k8s_manifests_selftest.py [--root=REPO] [--server=BIN]
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
CHECK = os.path.join(HERE, "check_k8s_manifests.py")
ALL = -1  # replace every occurrence

# (what is broken, file, text, its replacement, occurrences to replace
# (1: exactly one is expected; ALL: at least one), what the check must say)
BREAKAGES = [
    ("a flag carebridge-server does not have", "referral.yaml",
     "--shutdown_grace=10s", "--shutdown_grace_period=10s", 1,
     "--shutdown_grace_period is not a carebridge-server flag"),
    ("an unknown service", "record.yaml", "--services=record",
     "--services=records", 1, "unknown service records"),
    ("a peer at a Service that does not exist", "referral.yaml",
     "--directory_address=carebridge-directory:50061",
     "--directory_address=carebridge-dir:50061", 1,
     "no Service carebridge-dir in the kustomization"),
    ("a peer at a port its Service does not have", "handover.yaml",
     "--careplan_address=carebridge-careplan:50063",
     "--careplan_address=carebridge-careplan:50062", 1,
     "Service carebridge-careplan has no port 50062"),
    ("a peer at another service's Service", "careplan.yaml",
     "--referral_address=carebridge-referral:50062",
     "--referral_address=carebridge-handover:50064", 1,
     "does not select carebridge-referral"),
    ("a peer address missing", "record.yaml",
     "            - --handover_address=carebridge-handover:50064\n", "", 1,
     "--handover_address is needed"),
    ("a misspelt probe (so none)", "handover.yaml", "readinessProbe:",
     "readinesProbe:", 1, "no readinessProbe"),
    ("a probe asking another port", "careplan.yaml",
     "--server=127.0.0.1:50063", "--server=127.0.0.1:50061", ALL,
     "must be this pod's own --listen port"),
    ("a probe asking another service", "handover.yaml",
     "--service=carebridge.handover.v1.HandoverService",
     "--service=carebridge.careplan.v1.CarePlanService", ALL,
     "the process hosts carebridge.handover.v1.HandoverService"),
    ("a probe that outlasts the kubelet's timeout", "referral.yaml",
     "--timeout=3s", "--timeout=5s", ALL,
     "must be shorter than the probe's timeoutSeconds"),
    ("a Service without a selector", "record.yaml",
     "  selector:\n    app.kubernetes.io/name: carebridge\n"
     "    app.kubernetes.io/component: record\n  ports:", "  ports:", 1,
     "spec.selector is required"),
    ("no resource limits", "careplan.yaml",
     '            limits:\n              cpu: "1"\n'
     "              memory: 512Mi\n", "", 1,
     "resources.limits.cpu not set"),
    ("a writable root file system", "referral.yaml",
     "readOnlyRootFilesystem: true", "readOnlyRootFilesystem: false", 1,
     "readOnlyRootFilesystem must be true"),
    ("capabilities kept", "referral.yaml", "                - ALL",
     "                - NET_RAW", 1, "capabilities.drop must hold ALL"),
    ("another user than the image's", "careplan.yaml", "runAsUser: 10001",
     "runAsUser: 1000", 1, "the image's user is 10001"),
    ("a binary where the image has none", "referral.yaml",
     "- /usr/local/bin/carectl", "- /usr/bin/carectl", ALL,
     "/usr/bin/carectl: the image installs"),
    ("running as root allowed", "handover.yaml", "runAsNonRoot: true",
     "runAsNonRoot: false", 1, "runAsNonRoot must be true"),
    ("an unnamed container port", "record.yaml",
     "            - name: https\n              containerPort: 8443",
     "            - containerPort: 8443", 1, "port 8443: needs a name"),
    ("a Service port at no container port", "directory.yaml",
     "targetPort: grpc", "targetPort: grpcs", 1,
     "targetPort grpcs is not a port"),
    ("a listener on an undeclared port", "directory.yaml",
     "--listen=0.0.0.0:50061", "--listen=0.0.0.0:50071", 1,
     "the port is not a container port"),
    ("metrics annotations at the wrong port", "referral.yaml",
     'prometheus.io/port: "9090"', 'prometheus.io/port: "9091"', 1,
     "prometheus.io/port (--metrics_listen's port)"),
    ("an annotation that is not a string", "directory.yaml",
     'prometheus.io/scrape: "true"', "prometheus.io/scrape: true", 1,
     "must be a string (quote it)"),
    ("a Deployment of an old API", "handover.yaml", "apiVersion: apps/v1",
     "apiVersion: extensions/v1beta1", 1,
     "unknown apiVersion/kind extensions/v1beta1/Deployment"),
    ("YAML that does not parse", "careplan.yaml", "  type: ClusterIP\n",
     "  type: ClusterIP\n  bad: [unclosed\n", 1, "not valid YAML"),
    ("two SQLite writers", "referral.yaml", "replicas: 1", "replicas: 2", 1,
     "replicas 1 and strategy Recreate"),
    ("a PersistentVolumeClaim that does not exist", "careplan.yaml",
     "claimName: carebridge-careplan-data",
     "claimName: carebridge-careplan-db", 1,
     "PersistentVolumeClaim carebridge-careplan-db is not in the "
     "kustomization"),
    ("a Secret that does not exist", "record.yaml",
     "secretName: carebridge-tls-record", "secretName: carebridge-record-tls",
     1, "Secret carebridge-record-tls is not in the kustomization"),
    ("a file its Secret does not hold", "directory.yaml",
     "--tls_cert_file=/etc/carebridge/tls/directory.pem",
     "--tls_cert_file=/etc/carebridge/tls/directory.crt", 1,
     "has no key directory.crt"),
    ("another service's key", "referral.yaml",
     "--tls_key_file=/etc/carebridge/tls/referral.key",
     "--tls_key_file=/etc/carebridge/tls/directory.key", 1,
     "not this service's (referral) certificate"),
    ("signing keys on a read-only Secret", "directory.yaml",
     "--token_keys_dir=/run/carebridge/token-keys",
     "--token_keys_dir=/etc/carebridge/tls", 1,
     "the process writes here"),
    ("the directory given only public keys", "directory.yaml",
     "--token_keys_dir=/run/carebridge/token-keys",
     "--token_jwks_file=/etc/carebridge/tls/ca.pem", 1,
     "the directory signs tokens"),
    ("a mount of a volume that does not exist", "handover.yaml",
     "            - name: tmp\n              mountPath: /tmp",
     "            - name: scratch\n              mountPath: /tmp", 1,
     "volumeMount scratch: no such volume"),
    ("a namespace of its own", "handover.yaml",
     "kind: Service\nmetadata:\n  name: carebridge-handover\n",
     "kind: Service\nmetadata:\n  name: carebridge-handover\n"
     "  namespace: default\n", 1, "is not the kustomization's carebridge"),
    ("a manifest left out of the kustomization", "kustomization.yaml",
     "  - handover.yaml\n", "", 1, "handover.yaml is not listed in resources"),
    ("a manifest listed that does not exist", "kustomization.yaml",
     "  - record.yaml\n", "  - record.yaml\n  - pdb.yaml\n", 1,
     "resource pdb.yaml: no such file"),
    ("an image tag that is not the release", "kustomization.yaml",
     "newTag: 0.9.0", "newTag: latest", 1, "is not the project's version"),
    ("key material outside the ignored secrets/", "kustomization.yaml",
     "=secrets/tls/", "=tls/", ALL, "keeps it out of git"),
    ("an overlay patch for a Deployment that does not exist",
     "overlays/postgresql/kustomization.yaml", "name: carebridge-record\n",
     "name: carebridge-records\n", 1,
     "target Deployment/carebridge-records matches 0 objects"),
    ("an overlay reading a key its Secret does not hold",
     "overlays/postgresql/kustomization.yaml", "key: referral\n",
     "key: referal\n", 1, "has no key referal"),
    ("the audit log key left on the pod's volume", "referral.yaml",
     "mountPath: /var/lib/carebridge/audit.key\n",
     "mountPath: /var/lib/carebridge/audit-key\n", 1,
     "/var/lib/carebridge/audit.key (the audit log key) must be mounted "
     "read-only from a Secret"),
    ("the audit log key mounted writable", "record.yaml",
     "              subPath: audit.key\n              readOnly: true\n",
     "              subPath: audit.key\n", 1, "the mount is not readOnly"),
    ("the audit log key's Secret without it", "kustomization.yaml",
     "      - audit.key=secrets/audit/careplan.key\n",
     "      - secrets/audit/careplan.key\n", 1,
     "Secret carebridge-audit-careplan has no key audit.key"),
    ("the bootstrap token left on the pod's volume", "directory.yaml",
     "mountPath: /var/lib/carebridge/bootstrap-admin.token\n",
     "mountPath: /var/lib/carebridge/bootstrap.token\n", 1,
     "(the bootstrap admin token) must be mounted read-only from a Secret"),
    ("replicas without a PodDisruptionBudget", "overlays/postgresql/pdb.yaml",
     "      app.kubernetes.io/component: handover\n",
     "      app.kubernetes.io/component: handovers\n", 1,
     "Deployment/carebridge-handover: 2 replicas and no "
     "PodDisruptionBudget selects its pods"),
    ("the directory's replicas without a PodDisruptionBudget",
     "overlays/postgresql/pdb.yaml",
     "      app.kubernetes.io/component: directory\n",
     "      app.kubernetes.io/component: directories\n", 1,
     "Deployment/carebridge-directory: 2 replicas and no "
     "PodDisruptionBudget selects its pods"),
    ("the record's replicas without a PodDisruptionBudget",
     "overlays/postgresql/pdb.yaml",
     "      app.kubernetes.io/component: record\n",
     "      app.kubernetes.io/component: records\n", 1,
     "Deployment/carebridge-record: 2 replicas and no "
     "PodDisruptionBudget selects its pods"),
    ("a budget that blocks node drains", "overlays/postgresql/pdb.yaml",
     "minAvailable: 1", "minAvailable: 2", ALL, "blocks every node drain"),
    ("replicas stopped all at once", "overlays/postgresql/kustomization.yaml",
     "type: RollingUpdate", "type: Recreate", ALL,
     "strategy RollingUpdate (Recreate stops them all at once)"),
    ("replicas of SQLite files", "overlays/postgresql/kustomization.yaml",
     "value: --database=$(CAREBRIDGE_DATABASE)\n",
     "value: --log_format=json\n", ALL,
     "--data_dir must be on a PersistentVolumeClaim"),
]


def run_check(root, manifests, server):
    command = [sys.executable, CHECK, f"--root={root}",
               f"--manifests={manifests}"]
    if server:
        command.append(f"--server={server}")
    run = subprocess.run(command, capture_output=True, text=True, timeout=120,
                         check=False)
    return run.returncode, run.stdout + run.stderr


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--root",
                        default=os.path.dirname(os.path.dirname(HERE)))
    parser.add_argument("--server")
    args = parser.parse_args()
    source = os.path.join(args.root, "deploy", "k8s")
    failures = 0
    with tempfile.TemporaryDirectory(prefix="k8s-selftest-") as temp:
        pristine = os.path.join(temp, "pristine")
        shutil.copytree(source, pristine)
        status, output = run_check(args.root, pristine, args.server)
        if status != 0:
            print(f"FAIL: the manifests as they are do not pass:\n{output}")
            return 1
        print("ok: the manifests as they are pass")
        for index, (what, name, old, new, count, expected) in \
                enumerate(BREAKAGES):
            broken = os.path.join(temp, f"broken-{index}")
            shutil.copytree(source, broken)
            path = os.path.join(broken, name)
            with open(path, encoding="utf-8") as f:
                text = f.read()
            found = text.count(old)
            if found == 0 or (count != ALL and found != count):
                print(f"FAIL: {what}: {name} holds {old!r} {found} times, "
                      "not as this test expects; update the test")
                failures += 1
                continue
            with open(path, "w", encoding="utf-8") as f:
                f.write(text.replace(old, new))
            status, output = run_check(args.root, broken, args.server)
            if status == 0:
                print(f"FAIL: {what}: the check passed")
                failures += 1
            elif expected not in output:
                print(f"FAIL: {what}: the check failed without saying "
                      f"{expected!r}:\n{output}")
                failures += 1
            else:
                line = next(text for text in output.splitlines()
                            if expected in text)
                print(f"ok: {what}: {line}")
            shutil.rmtree(broken)
    if failures:
        print(f"{failures} of {len(BREAKAGES)} breakages not caught as "
              "expected")
        return 1
    print(f"all {len(BREAKAGES)} breakages caught")
    return 0


if __name__ == "__main__":
    sys.exit(main())
