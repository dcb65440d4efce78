"""A small schema of the Kubernetes kinds carebridge's manifests use, and
helpers to read and patch such objects (no kubectl needed)."""

import copy
import re

DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
PORT_NAME = re.compile(r"^(?=.{1,15}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
CONFIG_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")
QUANTITY = re.compile(
    r"^([0-9]+(\.[0-9]+)?)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$")
SUFFIX = {None: 1, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12,
          "P": 1e15, "E": 1e18, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30,
          "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}

# --- the schema ------------------------------------------------------------
# Per kind: required dotted paths and their types, and for each nested object
# the field names Kubernetes knows (a subset of the API: what carebridge uses
# and its close neighbours).
OBJECT_META = {"name", "namespace", "labels", "annotations", "generateName"}
KINDS = {
    ("v1", "Namespace"): {"required": {"metadata.name": str}},
    ("v1", "PersistentVolumeClaim"): {
        "required": {"metadata.name": str, "spec.accessModes": list,
                     "spec.resources.requests.storage": str}},
    ("v1", "Service"): {
        "required": {"metadata.name": str, "spec.selector": dict,
                     "spec.ports": list}},
    ("v1", "Secret"): {"required": {"metadata.name": str}},
    ("v1", "ConfigMap"): {"required": {"metadata.name": str}},
    ("apps/v1", "Deployment"): {
        "required": {"metadata.name": str, "spec.replicas": int,
                     "spec.selector.matchLabels": dict,
                     "spec.strategy.type": str,
                     "spec.template.metadata.labels": dict,
                     "spec.template.spec.containers": list}},
    ("policy/v1", "PodDisruptionBudget"): {
        "required": {"metadata.name": str, "spec.selector.matchLabels": dict}},
}
KNOWN_FIELDS = {
    "top": {"apiVersion", "kind", "metadata", "spec", "data", "stringData",
            "type", "immutable"},
    "metadata": OBJECT_META,
    "deployment.spec": {"replicas", "selector", "template", "strategy",
                        "revisionHistoryLimit", "minReadySeconds",
                        "progressDeadlineSeconds", "paused"},
    "pod.spec": {"containers", "initContainers", "volumes", "securityContext",
                 "serviceAccountName", "automountServiceAccountToken",
                 "enableServiceLinks", "terminationGracePeriodSeconds",
                 "affinity", "nodeSelector", "tolerations",
                 "topologySpreadConstraints", "priorityClassName",
                 "imagePullSecrets", "dnsPolicy", "restartPolicy"},
    "pod.securityContext": {"runAsNonRoot", "runAsUser", "runAsGroup",
                            "fsGroup", "fsGroupChangePolicy",
                            "seccompProfile", "supplementalGroups",
                            "sysctls"},
    "container": {"name", "image", "imagePullPolicy", "command", "args",
                  "env", "envFrom", "ports", "startupProbe", "readinessProbe",
                  "livenessProbe", "resources", "securityContext",
                  "volumeMounts", "workingDir", "lifecycle",
                  "terminationMessagePath", "terminationMessagePolicy"},
    "container.securityContext": {"allowPrivilegeEscalation",
                                  "readOnlyRootFilesystem", "capabilities",
                                  "privileged", "runAsNonRoot", "runAsUser",
                                  "runAsGroup", "seccompProfile"},
    "port": {"name", "containerPort", "protocol", "hostPort", "hostIP"},
    "probe": {"exec", "grpc", "httpGet", "tcpSocket", "initialDelaySeconds",
              "periodSeconds", "timeoutSeconds", "failureThreshold",
              "successThreshold", "terminationGracePeriodSeconds"},
    "resources": {"requests", "limits"},
    "volumeMount": {"name", "mountPath", "readOnly", "subPath"},
    "volume": {"name", "persistentVolumeClaim", "secret", "configMap",
               "emptyDir", "projected"},
    "service.spec": {"type", "selector", "ports", "clusterIP",
                     "sessionAffinity", "externalTrafficPolicy",
                     "loadBalancerSourceRanges", "publishNotReadyAddresses"},
    "service.port": {"name", "port", "targetPort", "protocol", "appProtocol",
                     "nodePort"},
    "kustomization": {"apiVersion", "kind", "namespace", "resources",
                      "images", "secretGenerator", "configMapGenerator",
                      "generatorOptions", "patches", "labels",
                      "commonAnnotations", "components"},
}


def json_patch(doc, op):
    """Applies one JSON 6902 add/replace/remove to doc; an error or None."""
    path = op.get("path", "")
    if not path.startswith("/"):
        return "path must start with /"
    parts = [part.replace("~1", "/").replace("~0", "~")
             for part in path[1:].split("/")]
    parent = doc
    for part in parts[:-1]:
        if isinstance(parent, list):
            if not part.isdigit() or int(part) >= len(parent):
                return f"no element {part}"
            parent = parent[int(part)]
        elif isinstance(parent, dict):
            if part not in parent:
                return f"no field {part}"
            parent = parent[part]
        else:
            return f"{part}: not a mapping or list"
    last = parts[-1]
    kind = op.get("op")
    value = copy.deepcopy(op.get("value"))
    if isinstance(parent, list):
        if kind == "add" and last == "-":
            parent.append(value)
        elif last.isdigit() and int(last) <= len(parent) and kind == "add":
            parent.insert(int(last), value)
        elif last.isdigit() and int(last) < len(parent) and kind == "replace":
            parent[int(last)] = value
        elif last.isdigit() and int(last) < len(parent) and kind == "remove":
            del parent[int(last)]
        else:
            return f"cannot {kind} element {last}"
    elif isinstance(parent, dict):
        if kind == "add":
            parent[last] = value
        elif kind in ("replace", "remove") and last not in parent:
            return f"no field {last}"
        elif kind == "replace":
            parent[last] = value
        elif kind == "remove":
            del parent[last]
        else:
            return f"unknown op {kind}"
    else:
        return "not a mapping or list"
    return None


def dig(obj, dotted):
    for part in dotted.split("."):
        if not isinstance(obj, dict) or part not in obj:
            return None
        obj = obj[part]
    return obj


def port_of(address):
    if not address:
        return None
    port = address.rpartition(":")[2]
    return int(port) if port.isdigit() else None


def mount_for(path, mounts):
    """The (mountPath, mount) holding path, the deepest first."""
    for mount_path, mount in mounts:
        if mount_path and path.startswith(mount_path.rstrip("/") + "/"):
            return mount_path, mount
    return None


def selects(selector, deployment):
    labels = dig(deployment, "spec.template.metadata.labels") or {}
    return bool(selector) and all(labels.get(k) == v
                                  for k, v in selector.items())


def container_ports(deployment):
    ports = {}
    for container in dig(deployment, "spec.template.spec.containers") or []:
        for port in container.get("ports") or []:
            ports[port.get("name")] = port.get("containerPort")
    return ports
