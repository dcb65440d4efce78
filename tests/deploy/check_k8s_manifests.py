#!/usr/bin/python3
"""Checks the Kubernetes manifests in deploy/k8s offline.

No cluster and no kubectl (not a Debian package): python3-yaml and a small
built-in schema of the kinds carebridge uses, and what the repository says
about carebridge-server (its flags, its services, their peers, the gRPC
service names, the project version). Every kustomization under the manifest
directory is built the way kustomize would (resources, generators, JSON
patches) and its objects checked:

- each document parses; apiVersion/kind are known; required fields are there
  with the right types; field names are known (a typo such as
  `readinesProbe` is an error, not a silently ignored field);
- every container has named ports, resources (requests and limits) and a
  locked-down securityContext, runs as the image's user and calls the
  binaries where the image has them (deploy/docker/Dockerfile); every main
  container has readiness and liveness probes that point at its own ports
  and services;
- every flag given to carebridge-server is one of its flags, each value that
  names a port, file, directory, service or peer is consistent with the rest:
  ports declared, files inside mounted Secrets that hold that key, peers at a
  Service and port that reach the process hosting that service;
- the audit log key (DATA_DIR/audit.key) and, where tokens are signed, the
  bootstrap token are files of Secrets mounted read-only, never kept on a
  pod's volume; a Deployment of several replicas is on PostgreSQL, rolls
  one pod at a time and has a PodDisruptionBudget that allows drains;
- every Secret, ConfigMap, PersistentVolumeClaim and Service referred to is
  in the kustomization; every manifest file is listed in it.

usage: check_k8s_manifests.py [--root=REPO] [--manifests=DIR] [--server=BIN]
  --root       the repository (default: two levels above this file)
  --manifests  the directory to check (default: ROOT/deploy/k8s)
  --server     carebridge-server, to take its flags from --helpfull; without
               it they are read from the ABSL_FLAG definitions in services/
Exit status 0 when every check passes, 1 with one line per problem.
"""

import argparse
import os
import re
import sys

import yaml

from k8s_schema import (CONFIG_KEY, DNS_LABEL, KINDS, KNOWN_FIELDS, PORT_NAME,
                        QUANTITY, SUFFIX, container_ports, dig, json_patch,
                        mount_for, port_of, selects)
from repo_facts import RepoFacts

# Flags announced for carebridge-server but perhaps not defined yet, with
# the kustomization (relative to the manifest directory) each may be used in
# before then, None for any; a warning is printed while one is missing. Once
# the flag is defined (the check then says so), drop it from here.
PENDING_FLAGS = {}
# Flags whose value is a file the process reads, and a directory it writes.
FILE_FLAGS = ("tls_cert_file", "tls_key_file", "tls_ca_file",
              "token_jwks_file", "oidc_jwks_file")
WRITABLE_DIR_FLAGS = ("data_dir", "token_keys_dir")
LISTEN_FLAGS = ("listen", "http_listen", "metrics_listen")


class Checker:
    """Collects problems; one instance checks one manifest tree."""

    def __init__(self, root, manifests, server):
        self.root = root
        self.manifests = manifests
        self.problems = []
        self.warnings = []
        self.tree = ""  # the kustomization being checked, unless the top
        facts = RepoFacts(root, server)
        self.flags = facts.flags
        self.services = facts.services
        self.needs = facts.needs
        self.grpc_names = facts.grpc_names
        self.version = facts.version
        self.image_uid = facts.image_uid
        self.image_binaries = facts.image_binaries

    # -- reporting ----------------------------------------------------------
    def problem(self, where, message):
        self.problems.append(f"{self.tree}{where}: {message}")

    def rel(self, path):
        return os.path.relpath(path, self.manifests)

    # -- loading -----------------------------------------------------------
    def load_yaml_file(self, path):
        """The documents of one file, or None when it does not parse."""
        try:
            with open(path, encoding="utf-8") as f:
                docs = [d for d in yaml.safe_load_all(f) if d is not None]
        except yaml.YAMLError as error:
            self.problem(self.rel(path), f"not valid YAML: {error}")
            return None
        for doc in docs:
            if not isinstance(doc, dict):
                self.problem(self.rel(path), "a document is not a mapping")
                return None
        return docs

    def build(self, folder):
        """Builds the kustomization in `folder`: (objects, generated,
        namespace, images): each object is (source, doc); generated maps
        (kind, name) to the keys of a generated Secret or ConfigMap; images
        are the names the kustomization sets an image for."""
        where = self.rel(os.path.join(folder, "kustomization.yaml"))
        docs = self.load_yaml_file(os.path.join(folder, "kustomization.yaml"))
        if not docs:
            self.problem(where, "empty or not valid")
            return [], {}, None, set()
        kust = docs[0]
        self.check_fields(where, kust, "kustomization")
        if kust.get("apiVersion") != "kustomize.config.k8s.io/v1beta1" or \
                kust.get("kind") != "Kustomization":
            self.problem(where, "apiVersion/kind must be "
                         "kustomize.config.k8s.io/v1beta1 Kustomization")
        objects, generated = [], {}
        namespace = kust.get("namespace")
        images = {i.get("name") for i in kust.get("images") or []}
        listed = set()
        for entry in kust.get("resources") or []:
            path = os.path.normpath(os.path.join(folder, entry))
            listed.add(path)
            if os.path.isdir(path):
                if not os.path.isfile(
                        os.path.join(path, "kustomization.yaml")):
                    self.problem(where, f"resource {entry}: a directory "
                                 "without kustomization.yaml")
                    continue
                sub_objects, sub_generated, sub_ns, sub_images = self.build(
                    path)
                objects += sub_objects
                generated.update(sub_generated)
                namespace = namespace or sub_ns
                images |= sub_images
            elif os.path.isfile(path):
                for doc in self.load_yaml_file(path) or []:
                    objects.append((self.rel(path), doc))
            else:
                self.problem(where, f"resource {entry}: no such file")
        # Every manifest beside the kustomization is in it.
        for name in sorted(os.listdir(folder)):
            path = os.path.join(folder, name)
            if name.endswith((".yaml", ".yml")) and \
                    name not in ("kustomization.yaml", "kustomization.yml") \
                    and path not in listed:
                self.problem(where, f"{name} is not listed in resources")
        for kind, key in (("Secret", "secretGenerator"),
                          ("ConfigMap", "configMapGenerator")):
            for gen in kust.get(key) or []:
                keys = self.generator_keys(where, folder, kind, gen)
                if keys is not None:
                    if (kind, gen["name"]) in generated:
                        self.problem(where, f"{kind} {gen['name']} generated "
                                     "twice")
                    generated[(kind, gen["name"])] = keys
        for index, patch in enumerate(kust.get("patches") or []):
            self.apply_patch(f"{where}: patches[{index}]", patch, objects)
        for image in kust.get("images") or []:
            if image.get("newTag") is not None and \
                    str(image["newTag"]) != self.version:
                self.problem(where, f"image {image.get('name')}: newTag "
                             f"{image['newTag']} is not the project's version "
                             f"{self.version} (CMakeLists.txt)")
        return objects, generated, namespace, images

    def generator_keys(self, where, folder, kind, gen):
        name = gen.get("name")
        if not isinstance(name, str) or not DNS_LABEL.match(name):
            self.problem(where, f"{kind} generator without a valid name")
            return None
        keys = set()
        for entry in gen.get("files") or []:
            key, _, path = entry.rpartition("=")
            key = key or os.path.basename(path)
            if not CONFIG_KEY.match(key):
                self.problem(where, f"{kind} {name}: key {key!r} is not a "
                             "valid key")
            if os.path.isabs(path) or ".." in path.split("/"):
                self.problem(where, f"{kind} {name}: {path} must be inside "
                             "the kustomization's directory")
            elif kind == "Secret" and not self.ignored_by_git(folder, path):
                self.problem(where, f"Secret {name}: {path} is not in a "
                             "directory whose .gitignore keeps it out of git")
            keys.add(key)
        for entry in gen.get("literals") or []:
            keys.add(entry.partition("=")[0])
        if not keys:
            self.problem(where, f"{kind} {name}: no files or literals")
        return keys

    def ignored_by_git(self, folder, path):
        """Whether a .gitignore of `*` in path's directory (or above, up to
        the kustomization) keeps it out of git."""
        folder = os.path.normpath(folder)
        directory = os.path.dirname(
            os.path.normpath(os.path.join(folder, path)))
        while directory.startswith(folder):
            ignore = os.path.join(directory, ".gitignore")
            if os.path.isfile(ignore):
                with open(ignore, encoding="utf-8") as f:
                    if "*" in [line.strip() for line in f]:
                        return True
            directory = os.path.dirname(directory)
        return False

    def apply_patch(self, where, patch, objects):
        target = patch.get("target") or {}
        matches = [doc for _, doc in objects
                   if doc.get("kind") == target.get("kind") and
                   dig(doc, "metadata.name") == target.get("name")]
        if len(matches) != 1:
            self.problem(where, f"target {target.get('kind')}/"
                         f"{target.get('name')} matches {len(matches)} "
                         "objects")
            return
        try:
            ops = yaml.safe_load(patch.get("patch", ""))
        except yaml.YAMLError as error:
            self.problem(where, f"patch is not valid YAML: {error}")
            return
        if isinstance(ops, dict) and ops.get("$patch") == "delete":
            # A strategic merge patch that deletes its target (kustomize's
            # way to drop an object of a base).
            if ops.get("kind") != target.get("kind") or \
                    dig(ops, "metadata.name") != target.get("name"):
                self.problem(where, "a $patch: delete names another object "
                             "than its target")
                return
            objects[:] = [(source, doc) for source, doc in objects
                          if doc is not matches[0]]
            return
        if not isinstance(ops, list):
            self.problem(where, "only JSON 6902 patches (a list of "
                         "operations) and $patch: delete are checked")
            return
        for op in ops:
            error = json_patch(matches[0], op)
            if error:
                self.problem(where,
                             f"{op.get('op')} {op.get('path')}: {error}")

    # -- checks --------------------------------------------------------------
    def check_fields(self, where, obj, known):
        if not isinstance(obj, dict):
            self.problem(where, f"{known}: must be a mapping")
            return
        for field in obj:
            if field not in KNOWN_FIELDS[known]:
                self.problem(where, f"unknown field {field!r} in {known}")

    def check_object(self, source, doc, context):
        api, kind = doc.get("apiVersion"), doc.get("kind")
        name = doc.get("metadata", {}).get("name") \
            if isinstance(doc.get("metadata"), dict) else None
        where = f"{source}: {kind}/{name}"
        spec = KINDS.get((api, kind))
        if spec is None:
            known = ", ".join(f"{a}/{k}" for a, k in sorted(KINDS))
            self.problem(where, f"unknown apiVersion/kind {api}/{kind} "
                         f"(known: {known})")
            return
        self.check_fields(where, doc, "top")
        self.check_fields(where, doc.get("metadata"), "metadata")
        complete = True
        for path, typ in spec["required"].items():
            value = dig(doc, path)
            if value is None:
                self.problem(where, f"{path} is required")
                complete = False
            elif not isinstance(value, typ) or isinstance(value, bool):
                self.problem(where, f"{path} must be a {typ.__name__}")
                complete = False
        if name is not None and not DNS_LABEL.match(str(name)):
            self.problem(where, "metadata.name is not a DNS label")
        self.check_labels(where, doc.get("metadata"))
        ns = (doc.get("metadata") or {}).get("namespace")
        if ns is not None and ns != context["namespace"]:
            self.problem(where, f"namespace {ns} is not the kustomization's "
                         f"{context['namespace']}: peers' short names would "
                         "not resolve")
        if not complete:
            return
        if kind == "Deployment":
            self.check_deployment(where, doc, context)
        elif kind == "Service":
            self.check_service(where, doc, context)
        elif kind == "PersistentVolumeClaim":
            for mode in doc["spec"].get("accessModes") or []:
                if mode not in ("ReadWriteOnce", "ReadWriteOncePod",
                                "ReadOnlyMany", "ReadWriteMany"):
                    self.problem(where, f"unknown access mode {mode}")
            size = dig(doc, "spec.resources.requests.storage")
            if isinstance(size, str) and not QUANTITY.match(size):
                self.problem(where, f"storage {size!r} is not a quantity")

    def check_labels(self, where, meta):
        for field in ("labels", "annotations"):
            for key, value in ((meta or {}).get(field) or {}).items():
                if not isinstance(value, str):
                    self.problem(where, f"{field} {key}: {value!r} must be a "
                                 "string (quote it)")

    def check_service(self, where, doc, context):
        self.check_fields(where, doc["spec"], "service.spec")
        seen = set()
        for port in doc["spec"].get("ports") or []:
            self.check_fields(where, port, "service.port")
            if not isinstance(port.get("port"), int):
                self.problem(where, "a port without a numeric port")
            if not PORT_NAME.match(str(port.get("name", ""))):
                self.problem(where, f"port {port.get('port')}: needs a name")
            if port.get("name") in seen:
                self.problem(where, f"port name {port.get('name')} twice")
            seen.add(port.get("name"))

    def check_deployment(self, where, doc, context):
        spec = doc["spec"]
        self.check_fields(where, spec, "deployment.spec")
        template = spec.get("template") or {}
        labels = (template.get("metadata") or {}).get("labels") or {}
        self.check_labels(where, template.get("metadata"))
        for key, value in (spec.get("selector", {}).get("matchLabels")
                           or {}).items():
            if labels.get(key) != value:
                self.problem(where, f"selector {key}={value} does not match "
                             "the pod template's labels")
        pod = template.get("spec") or {}
        self.check_fields(where, pod, "pod.spec")
        psc = pod.get("securityContext") or {}
        self.check_fields(where, psc, "pod.securityContext")
        volumes = {}
        for volume in pod.get("volumes") or []:
            self.check_fields(where, volume, "volume")
            volumes[volume.get("name")] = volume
            self.check_volume_source(where, volume, context)
        used = set()
        containers = pod.get("containers") or []
        inits = pod.get("initContainers") or []
        for container in inits + containers:
            cwhere = f"{where}: container {container.get('name')}"
            self.check_container(cwhere, container, psc, volumes, context,
                                 main=container in containers)
            used |= {m.get("name")
                     for m in container.get("volumeMounts") or []}
            if container.get("image") not in context["images"]:
                self.problem(cwhere, f"image {container.get('image')} is not "
                             "in the kustomization's images")
        for volume in volumes:
            if volume not in used:
                self.problem(where, f"volume {volume} is not mounted")
        for container in containers:
            if is_server(container):
                self.check_server(
                    f"{where}: container {container.get('name')}", doc,
                    container, volumes, context)
        uses_pvc = any("persistentVolumeClaim" in v for v in volumes.values())
        if uses_pvc and (spec.get("replicas") != 1 or
                         dig(spec, "strategy.type") != "Recreate"):
            self.problem(where, "SQLite on a ReadWriteOnce volume has one "
                         "writer: replicas 1 and strategy Recreate")
        if isinstance(spec.get("replicas"), int) and spec["replicas"] > 1:
            self.check_replicated(where, doc, context)

    def check_replicated(self, where, doc, context):
        """A Deployment of several replicas: rolled one pod at a time and
        kept available by a PodDisruptionBudget that does not block
        drains."""
        spec = doc["spec"]
        if dig(spec, "strategy.type") != "RollingUpdate":
            self.problem(where, f"{spec['replicas']} replicas: strategy "
                         "RollingUpdate (Recreate stops them all at once)")
        budgets = [d for (kind, _), d in context["names"].items()
                   if kind == "PodDisruptionBudget" and
                   selects(dig(d, "spec.selector.matchLabels") or {}, doc)]
        if not budgets:
            self.problem(where, f"{spec['replicas']} replicas and no "
                         "PodDisruptionBudget selects its pods")
        for budget in budgets:
            least = dig(budget, "spec.minAvailable")
            if not isinstance(least, int) and \
                    dig(budget, "spec.maxUnavailable") is None:
                self.problem(where, f"PodDisruptionBudget "
                             f"{budget['metadata']['name']}: minAvailable "
                             "(a number) or maxUnavailable")
            elif isinstance(least, int) and least >= spec["replicas"]:
                self.problem(where, f"PodDisruptionBudget "
                             f"{budget['metadata']['name']}: minAvailable "
                             f"{least} of {spec['replicas']} replicas blocks "
                             "every node drain")

    def check_volume_source(self, where, volume, context):
        names = context["names"]
        if "persistentVolumeClaim" in volume:
            claim = volume["persistentVolumeClaim"].get("claimName")
            if ("PersistentVolumeClaim", claim) not in names:
                self.problem(where, f"volume {volume['name']}: "
                             f"PersistentVolumeClaim {claim} is not in the "
                             "kustomization")
        for kind, field, name_field in (("Secret", "secret", "secretName"),
                                        ("ConfigMap", "configMap", "name")):
            if field in volume:
                ref = volume[field].get(name_field)
                if (kind, ref) not in names:
                    self.problem(where, f"volume {volume['name']}: {kind} "
                                 f"{ref} is not in the kustomization")
                mode = volume[field].get("defaultMode")
                if mode is not None and (not isinstance(mode, int)
                                         or not 0 <= mode <= 0o777):
                    self.problem(where, f"volume {volume['name']}: "
                                 f"defaultMode {mode!r} is not a file mode")
                keys = self.keys_of(kind, ref, context)
                for item in volume[field].get("items") or []:
                    if keys is not None and item.get("key") not in keys:
                        self.problem(where, f"volume {volume['name']}: "
                                     f"{kind} {ref} has no key "
                                     f"{item.get('key')}")

    def keys_of(self, kind, name, context):
        if (kind, name) in context["generated"]:
            return context["generated"][(kind, name)]
        doc = context["names"].get((kind, name))
        if doc is None:
            return None
        return set((doc.get("data") or {}) | (doc.get("stringData") or {}))

    def check_container(self, where, container, psc, volumes, context, main):
        self.check_fields(where, container, "container")
        if not DNS_LABEL.match(str(container.get("name", ""))):
            self.problem(where, "needs a name (a DNS label)")
        for field in ("command", "args"):
            for item in container.get(field) or []:
                if not isinstance(item, str):
                    self.problem(where, f"{field} item {item!r} must be a "
                                 "string (quote it)")
        env_names = set()
        for env in container.get("env") or []:
            env_names.add(env.get("name"))
            if "value" in env and not isinstance(env["value"], str):
                self.problem(where, f"env {env.get('name')}: value must be a "
                             "string (quote it)")
            for kind, field in (("Secret", "secretKeyRef"),
                                ("ConfigMap", "configMapKeyRef")):
                ref = (env.get("valueFrom") or {}).get(field)
                if ref is None:
                    continue
                keys = self.keys_of(kind, ref.get("name"), context)
                if keys is None:
                    self.problem(where, f"env {env.get('name')}: {kind} "
                                 f"{ref.get('name')} is not in the "
                                 "kustomization")
                elif ref.get("key") not in keys:
                    self.problem(where, f"env {env.get('name')}: {kind} "
                                 f"{ref.get('name')} has no key "
                                 f"{ref.get('key')}")
        for item in container.get("args") or []:
            for var in re.findall(r"\$\((\w+)\)", str(item)):
                if var not in env_names:
                    self.problem(where, f"{item}: $({var}) is not in env")
        ports = {}
        for port in container.get("ports") or []:
            self.check_fields(where, port, "port")
            if not PORT_NAME.match(str(port.get("name", ""))):
                self.problem(where, f"port {port.get('containerPort')}: needs "
                             "a name (lower case, at most 15 characters)")
            number = port.get("containerPort")
            if not isinstance(number, int) or not 0 < number < 65536:
                self.problem(where, f"port {port.get('name')}: containerPort "
                             f"{number!r} is not a port")
            if port.get("name") in ports:
                self.problem(where, f"port name {port.get('name')} twice")
            ports[port.get("name")] = number
        container["_ports"] = ports
        self.check_resources(where, container.get("resources"))
        self.check_security(where, container.get("securityContext"), psc)
        for mount in container.get("volumeMounts") or []:
            self.check_fields(where, mount, "volumeMount")
            if mount.get("name") not in volumes:
                self.problem(where, f"volumeMount {mount.get('name')}: "
                             "no such volume")
        if main:
            for probe in ("readinessProbe", "livenessProbe"):
                if probe not in container:
                    self.problem(where, f"no {probe}")
            for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
                if probe in container:
                    self.check_probe(f"{where}: {probe}", container[probe],
                                     ports)
        else:
            for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
                if probe in container:
                    self.problem(where, f"an init container takes no {probe}")

    def check_resources(self, where, resources):
        if not isinstance(resources, dict):
            self.problem(where, "no resources (requests and limits)")
            return
        self.check_fields(where, resources, "resources")
        values = {}
        for part in ("requests", "limits"):
            for resource in ("cpu", "memory"):
                value = (resources.get(part) or {}).get(resource)
                if value is None:
                    self.problem(where, f"resources.{part}.{resource} not set")
                    continue
                match = QUANTITY.match(str(value))
                if not match:
                    self.problem(where, f"resources.{part}.{resource}: "
                                 f"{value!r} is not a quantity")
                    continue
                values[(part, resource)] = \
                    float(match.group(1)) * SUFFIX[match.group(3)]
        for resource in ("cpu", "memory"):
            request = values.get(("requests", resource))
            limit = values.get(("limits", resource))
            if request is not None and limit is not None and request > limit:
                self.problem(where, f"resources: {resource} request above its "
                             "limit")

    def check_security(self, where, sc, psc):
        if not isinstance(sc, dict):
            self.problem(where, "no securityContext")
            return
        self.check_fields(where, sc, "container.securityContext")
        if sc.get("allowPrivilegeEscalation") is not False:
            self.problem(where, "securityContext.allowPrivilegeEscalation "
                         "must be false")
        if sc.get("readOnlyRootFilesystem") is not True:
            self.problem(where, "securityContext.readOnlyRootFilesystem must "
                         "be true")
        if sc.get("privileged"):
            self.problem(where, "securityContext.privileged")
        caps = sc.get("capabilities") or {}
        if "ALL" not in (caps.get("drop") or []):
            self.problem(where, "securityContext.capabilities.drop must hold "
                         "ALL")
        if caps.get("add"):
            self.problem(where, "securityContext.capabilities.add: none")
        if sc.get("runAsNonRoot", psc.get("runAsNonRoot")) is not True:
            self.problem(where, "runAsNonRoot must be true (pod or container)")
        user = sc.get("runAsUser", psc.get("runAsUser"))
        if user != self.image_uid:
            self.problem(where, f"runAsUser {user}: the image's user is "
                         f"{self.image_uid} (deploy/docker/Dockerfile), "
                         "who owns its data folder")
        seccomp = sc.get("seccompProfile", psc.get("seccompProfile")) or {}
        if seccomp.get("type") not in ("RuntimeDefault", "Localhost"):
            self.problem(where, "seccompProfile.type must be RuntimeDefault "
                         "(pod or container)")

    def check_probe(self, where, probe, ports):
        self.check_fields(where, probe, "probe")
        handlers = [h for h in ("exec", "grpc", "httpGet", "tcpSocket")
                    if h in probe]
        if len(handlers) != 1:
            self.problem(where, "needs exactly one of exec, grpc, httpGet, "
                         "tcpSocket")
            return
        handler = probe[handlers[0]]
        if handlers[0] == "grpc":
            if handler.get("port") not in ports.values():
                self.problem(where, f"grpc port {handler.get('port')} is "
                             "not a container port (it must be a number)")
        elif handlers[0] in ("httpGet", "tcpSocket"):
            port = handler.get("port")
            if port not in ports and port not in ports.values():
                self.problem(where, f"port {port} is not a container port")
        elif not handler.get("command"):
            self.problem(where, "exec without a command")
        for field in ("periodSeconds", "timeoutSeconds", "failureThreshold"):
            if field in probe and (not isinstance(probe[field], int)
                                   or probe[field] < 1):
                self.problem(where, f"{field} must be a positive number")

    def check_server(self, where, deployment, container, volumes, context):
        """The carebridge-server flags of one container."""
        for command in [container.get("command") or []] + [
                (container.get(probe) or {}).get("exec", {}).get("command")
                or [] for probe in ("startupProbe", "readinessProbe",
                                    "livenessProbe")]:
            if command and os.path.basename(command[0]) in (
                    "carebridge-server", "carectl") and \
                    command[0] not in self.image_binaries:
                self.problem(where, f"{command[0]}: the image installs "
                             + " and ".join(sorted(self.image_binaries)))
        pending = context["pending"]
        flags = {}
        for arg in container.get("args") or []:
            if not str(arg).startswith("--"):
                self.problem(where, f"argument {arg!r} is not a --flag")
                continue
            name, has_value, value = str(arg)[2:].partition("=")
            known = name in self.flags or (
                name.startswith("no") and self.flags.get(name[2:]) is True)
            if not known:
                if name in pending:
                    self.warnings.append(
                        f"{self.tree}{where}: --{name} is not (yet) a "
                        "carebridge-server flag; accepted as announced: "
                        f"{pending[name]}")
                else:
                    self.problem(where, f"--{name} is not a carebridge-server "
                                 "flag")
            if name in flags:
                self.problem(where, f"--{name} given twice")
            flags[name] = value if has_value else None
        ports = container["_ports"]
        mounts = sorted(((m.get("mountPath", ""), m) for m in
                         container.get("volumeMounts") or []),
                        key=lambda p: -len(p[0]))
        hosted = [s for s in (flags.get("services") or "").split(",") if s]
        if len(hosted) != 1:
            self.problem(where, "--services must name one service per "
                         "process (one Deployment each)")
        for service in hosted:
            if service not in self.services:
                self.problem(where, f"--services: unknown service {service} "
                             f"(known: {', '.join(self.services)})")
        service = hosted[0] if len(hosted) == 1 else None
        context["deployments"].append((deployment, container, service, flags))
        # Listeners: on a declared port, on every interface.
        for flag in LISTEN_FLAGS:
            if flags.get(flag) is None:
                if flag in ("listen", "metrics_listen"):
                    self.problem(where, f"--{flag} is not set")
                continue
            host, _, port = flags[flag].rpartition(":")
            if not port.isdigit() or int(port) not in ports.values():
                self.problem(where, f"--{flag}={flags[flag]}: the port is not "
                             "a container port")
            if host in ("127.0.0.1", "localhost", "[::1]"):
                self.problem(where, f"--{flag}={flags[flag]}: loopback only, "
                             "unreachable from other pods")
        listen_port = port_of(flags.get("listen"))
        if ports.get("grpc") != listen_port:
            self.problem(where, "the container port named grpc must be "
                         "--listen's port")
        annotations = (deployment["spec"]["template"].get("metadata") or {}) \
            .get("annotations") or {}
        metrics_port = port_of(flags.get("metrics_listen"))
        if metrics_port is not None:
            if ports.get("metrics") != metrics_port:
                self.problem(where, "the container port named metrics must be "
                             "--metrics_listen's port")
            if annotations.get("prometheus.io/scrape") != "true" or \
                    annotations.get("prometheus.io/port") != str(metrics_port):
                self.problem(where, "prometheus.io/scrape \"true\" and "
                             "prometheus.io/port (--metrics_listen's port) "
                             "annotations are needed on the pod template")
        # Files and directories.
        for flag in FILE_FLAGS:
            if flags.get(flag):
                self.check_file(where, flag, flags[flag], mounts, volumes,
                                context)
        for flag in WRITABLE_DIR_FLAGS:
            if flags.get(flag):
                self.check_dir(where, flag, flags[flag], mounts, volumes)
        data_dir = flags.get("data_dir") or ""
        data_volume = mount_for(data_dir + "/x", mounts)
        if not flags.get("database") and (
                data_volume is None or "persistentVolumeClaim" not in
                volumes.get(data_volume[1].get("name"), {})):
            self.problem(where, "--data_dir must be on a "
                         "PersistentVolumeClaim (the SQLite files)")
        # What the server reads from the data folder but must not keep on a
        # pod's volume: the same for every replica, a Secret's file.
        if data_dir:
            self.check_secret_file(where, f"{data_dir}/audit.key",
                                   "the audit log key", mounts, volumes,
                                   context)
            if flags.get("token_keys_dir"):
                self.check_secret_file(
                    where, f"{data_dir}/bootstrap-admin.token",
                    "the bootstrap admin token", mounts, volumes, context)
        # The rules the server itself enforces at start-up.
        if bool(flags.get("tls_cert_file")) != bool(flags.get("tls_key_file")):
            self.problem(where, "--tls_cert_file and --tls_key_file: both or "
                         "neither")
        if not flags.get("tls_ca_file"):
            self.problem(where, "--tls_ca_file: mutual TLS between services "
                         "is the deployment default")
        for flag in ("tls_cert_file", "tls_key_file"):
            base = os.path.basename(flags.get(flag) or "")
            if service and base and not base.startswith(service + "."):
                self.problem(where, f"--{flag}={flags[flag]}: not this "
                             f"service's ({service}) certificate")
        if service == "directory":
            if flags.get("token_jwks_file"):
                self.problem(where, "--token_jwks_file: the directory signs "
                             "tokens and needs --token_keys_dir")
            if not flags.get("token_keys_dir"):
                self.problem(where, "--token_keys_dir: the directory's "
                             "signing keys must come from the Secret")
        elif service:
            if flags.get("token_keys_dir") or not flags.get("token_jwks_file"):
                self.problem(where, "only the directory holds signing keys; "
                             "this service needs --token_jwks_file")
        for peer in sorted(self.needs.get(service, ())):
            if not flags.get(f"{peer}_address"):
                self.problem(where, f"--{peer}_address is needed: {service} "
                             f"calls {peer}")
        # Probes ask this process's own service, over TLS.
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            command = (container.get(probe) or {}).get("exec", {}).get(
                "command") or []
            if command and os.path.basename(command[0]) == "carectl":
                self.check_carectl_probe(f"{where}: {probe}",
                                         container[probe], service,
                                         listen_port, flags, mounts, volumes,
                                         context)

    def check_carectl_probe(self, where, probe, service, listen_port, flags,
                            mounts, volumes, context):
        command = probe["exec"]["command"]
        options = dict(arg[2:].partition("=")[::2] for arg in command[1:]
                       if arg.startswith("--"))
        timeout = re.fullmatch(r"(\d+)s", options.get("timeout", ""))
        if not timeout or int(timeout.group(1)) >= probe.get(
                "timeoutSeconds", 1):
            self.problem(where, "carectl --timeout=Ns must be shorter than "
                         "the probe's timeoutSeconds, so carectl reports "
                         "before the kubelet gives up")
        if "health" not in command:
            self.problem(where, "carectl probes run `carectl health`")
        host, _, port = options.get("server", "").rpartition(":")
        if host not in ("127.0.0.1", "localhost") or port_of(
                options.get("server")) != listen_port:
            self.problem(where, f"--server={options.get('server')}: must be "
                         "this pod's own --listen port on 127.0.0.1 (through "
                         "the Service a pod that is not ready is never asked)")
        expected = self.grpc_names.get(service)
        if options.get("service") != expected:
            self.problem(where, f"--service={options.get('service')}: the "
                         f"process hosts {expected}")
        if flags.get("tls_cert_file"):
            if not options.get("tls_ca_file"):
                self.problem(where, "the listener is TLS: carectl needs "
                             "--tls_ca_file")
            else:
                self.check_file(where, "tls_ca_file", options["tls_ca_file"],
                                mounts, volumes, context)

    def check_file(self, where, flag, path, mounts, volumes, context):
        found = mount_for(path, mounts)
        if found is None:
            self.problem(where, f"--{flag}={path}: not in any mounted volume")
            return
        mount_path, mount = found
        volume = volumes.get(mount.get("name"), {})
        key = os.path.relpath(path, mount_path)
        for kind, field, name_field in (("Secret", "secret", "secretName"),
                                        ("ConfigMap", "configMap", "name")):
            if field not in volume:
                continue
            ref = volume[field].get(name_field)
            items = volume[field].get("items")
            if items:
                key = next((i.get("key") for i in items
                            if i.get("path") == key), None)
            keys = self.keys_of(kind, ref, context)
            if keys is not None and key not in keys:
                self.problem(where, f"--{flag}={path}: {kind} {ref} (mounted "
                             f"at {mount_path}) has no key "
                             f"{os.path.relpath(path, mount_path)}")

    def check_secret_file(self, where, path, what, mounts, volumes,
                          context):
        """`path` is one key of a Secret, mounted read-only on its own
        (subPath) over the data folder, so every replica reads the same and
        the pod's volume never holds it."""
        mount = next((m for mount_path, m in mounts
                      if mount_path.rstrip("/") == path), None)
        rule = (f"{path} ({what}) must be mounted read-only from a Secret "
                "with subPath, not kept on the pod's volume (the same in "
                "every replica; docs/kubernetes.md)")
        if mount is None:
            self.problem(where, rule)
            return
        volume = volumes.get(mount.get("name"), {})
        if "secret" not in volume:
            self.problem(where, f"{rule}: volume {mount.get('name')} is not "
                         "a Secret")
            return
        if mount.get("readOnly") is not True:
            self.problem(where, f"{rule}: the mount is not readOnly")
        key = mount.get("subPath")
        if not key:
            self.problem(where, f"{rule}: no subPath (the Secret's folder "
                         "would hide the data folder's file)")
            return
        ref = volume["secret"].get("secretName")
        items = volume["secret"].get("items")
        if items:
            key = next((i.get("key") for i in items
                        if i.get("path") == key), None)
        keys = self.keys_of("Secret", ref, context)
        if keys is not None and key not in keys:
            self.problem(where, f"{path}: Secret {ref} has no key "
                         f"{mount.get('subPath')}")

    def check_dir(self, where, flag, path, mounts, volumes):
        found = mount_for(path + "/x", mounts)
        if found is None:
            self.problem(where, f"--{flag}={path}: not in any mounted volume "
                         "(the root file system is read-only)")
            return
        mount_path, mount = found
        volume = volumes.get(mount.get("name"), {})
        if mount.get("readOnly") or "secret" in volume or \
                "configMap" in volume:
            self.problem(where, f"--{flag}={path}: the process writes here "
                         f"(a lock file, keys, databases); {mount_path} is "
                         "read-only")

    def check_deployments_together(self, context):
        deployments = context["deployments"]
        hosted = {}
        for deployment, _, service, _ in deployments:
            if service:
                hosted.setdefault(service, []).append(deployment)
        for service in self.services:
            if len(hosted.get(service, [])) != 1:
                self.problem(self.rel(self.manifests),
                             f"service {service} is hosted by "
                             f"{len(hosted.get(service, []))} Deployments "
                             "(one each)")
        names = context["names"]
        namespace = context["namespace"]
        for deployment, container, service, flags in deployments:
            where = f"Deployment/{deployment['metadata']['name']}"
            for peer in self.services:
                address = flags.get(f"{peer}_address")
                if not address:
                    continue
                self.check_peer(f"{where}: --{peer}_address={address}",
                                address, peer, hosted, names, namespace,
                                deployments)
        for (kind, name), svc in names.items():
            if kind != "Service":
                continue
            selector = svc["spec"].get("selector") or {}
            pods = [d for d, *_ in deployments if selects(selector, d)]
            if not pods:
                self.problem(f"Service/{name}", "its selector matches no "
                             "Deployment's pods")
            for port in svc["spec"].get("ports") or []:
                target = port.get("targetPort", port.get("port"))
                for pod in pods:
                    declared = container_ports(pod)
                    if target not in declared and \
                            target not in declared.values():
                        self.problem(f"Service/{name}", f"port "
                                     f"{port.get('name')}: targetPort "
                                     f"{target} is not a port of "
                                     f"{pod['metadata']['name']}")

    def check_peer(self, where, address, peer, hosted, names, namespace,
                   deployments):
        host, _, port = address.rpartition(":")
        service_name = host
        suffixes = [f".{namespace}.svc.cluster.local", f".{namespace}.svc",
                    f".{namespace}"] if namespace else []
        for suffix in suffixes:
            if host.endswith(suffix):
                service_name = host[: -len(suffix)]
        svc = names.get(("Service", service_name))
        if svc is None:
            self.problem(where, f"no Service {service_name} in the "
                         "kustomization")
            return
        svc_port = next((p for p in svc["spec"].get("ports") or []
                         if str(p.get("port")) == port), None)
        if svc_port is None:
            self.problem(where, f"Service {service_name} has no port {port}")
            return
        targets = hosted.get(peer, [])
        if not targets:
            return
        target = targets[0]
        if not selects(svc["spec"].get("selector") or {}, target):
            self.problem(where, f"Service {service_name} does not select "
                         f"{target['metadata']['name']}, which hosts {peer}")
            return
        target_port = svc_port.get("targetPort", svc_port.get("port"))
        declared = container_ports(target)
        number = declared.get(target_port, target_port)
        listen = next((port_of(f.get("listen")) for d, _, _, f in
                       deployments if d is target), None)
        if number != listen:
            self.problem(where, f"Service {service_name} port {port} reaches "
                         f"port {number} of {target['metadata']['name']}, "
                         f"which listens for gRPC on {listen}")

    def run(self):
        roots = []
        for base, _, files in os.walk(self.manifests):
            if "kustomization.yaml" in files:
                roots.append(base)
        if not roots:
            self.problem(self.manifests, "no kustomization.yaml")
        for folder in sorted(roots):
            relative = os.path.relpath(folder, self.manifests)
            relative = "" if relative == "." else relative
            pending = {flag: note for flag, (scope, note) in
                       PENDING_FLAGS.items()
                       if flag not in self.flags and scope in (None, relative)}
            self.tree = f"[{relative}] " if relative else ""
            self.check_tree(folder, pending)
        for flag, (_, note) in PENDING_FLAGS.items():
            if flag in self.flags:
                self.warnings.append(f"--{flag} is now a carebridge-server "
                                     "flag: drop it from PENDING_FLAGS in "
                                     f"{os.path.basename(__file__)}")
        return not self.problems

    def check_tree(self, folder, pending):
        objects, generated, namespace, images = self.build(folder)
        names = {}
        for source, doc in objects:
            key = (doc.get("kind"), (doc.get("metadata") or {}).get("name"))
            if key in names:
                self.problem(source, f"{key[0]} {key[1]} defined twice")
            names[key] = doc
        for (kind, name), keys in generated.items():
            if (kind, name) in names:
                self.problem(self.rel(folder), f"{kind} {name} both generated "
                             "and a resource")
        context = {"names": names, "generated": generated,
                   "namespace": namespace, "images": images,
                   "pending": pending, "deployments": []}
        for (kind, name) in generated:
            names[(kind, name)] = {"kind": kind}
        for source, doc in objects:
            self.check_object(source, doc, context)
        self.check_deployments_together(context)


def is_server(container):
    """Whether the container runs carebridge-server (the image's entry point
    when it names no command)."""
    command = container.get("command") or []
    if not command:
        return bool(container.get("args"))
    return os.path.basename(command[0]) == "carebridge-server"


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n")[0])
    parser.add_argument("--root",
                        default=os.path.dirname(os.path.dirname(here)))
    parser.add_argument("--manifests")
    parser.add_argument("--server")
    args = parser.parse_args()
    manifests = args.manifests or os.path.join(args.root, "deploy", "k8s")
    checker = Checker(os.path.abspath(args.root), os.path.abspath(manifests),
                      args.server)
    ok = checker.run()
    for warning in checker.warnings:
        print(f"warning: {warning}")
    for problem in checker.problems:
        print(f"problem: {problem}")
    if not ok:
        print(f"{len(checker.problems)} problem(s) in {manifests}")
        return 1
    print(f"ok: {manifests} (flags from "
          f"{args.server + ' --helpfull' if args.server else 'services/'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
