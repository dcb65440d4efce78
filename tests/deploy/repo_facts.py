"""What the repository says about carebridge-server, for the manifest check:
its flags, the services it can host, which peers each needs, their gRPC
service names, the project's version and the image's user and binaries."""

import os
import re
import subprocess
import sys

# Flags every Abseil binary has.
ABSL_BUILTIN_FLAGS = {
    "flagfile": False, "fromenv": False, "tryfromenv": False, "undefok": False,
    "help": True, "helpfull": True, "helpshort": True, "helppackage": True,
    "helpon": False, "helpmatch": False, "version": True,
    "only_check_args": True,
}


class RepoFacts:
    """Read once from the repository (and the built server, if given)."""

    def __init__(self, root, server):
        self.root = root
        self.flags = self._load_flags(server)
        self.services = self._known_services()
        self.needs = self._peer_needs()
        self.grpc_names = self._grpc_service_names()
        self.version = self._project_version()
        self.image_uid, self.image_binaries = self._image()

    def _read(self, *parts):
        with open(os.path.join(self.root, *parts), encoding="utf-8") as f:
            return f.read()

    def _search(self, pattern, text, where, flags=0):
        """The match, or exit naming what was not found where."""
        match = re.search(pattern, text, flags)
        if match is None:
            sys.exit(f"{where}: no match for {pattern}; has it changed shape?")
        return match

    def _load_flags(self, server):
        """Flag name -> whether it is a bool (so --noNAME is valid too)."""
        flags = dict(ABSL_BUILTIN_FLAGS)
        if server:
            if not os.access(server, os.X_OK):
                sys.exit(f"{server}: not there; build carebridge-server "
                         "first, or leave out --server to read the flags "
                         "from the sources")
            run = subprocess.run([server, "--helpfull"], capture_output=True,
                                 text=True, timeout=60, check=False)
            text = run.stdout + run.stderr
            # One block per flag: "    --name (help, wrapped); default: X;"
            for block in re.split(r"\n(?=    --\w)", text):
                name = re.match(r"\s*--(\w+) \(", block)
                default = re.search(r"\);\s+default: (.*?);", block, re.S)
                if name and default:
                    flags[name.group(1)] = default.group(1) in ("true",
                                                                "false")
            if "listen" not in flags:
                sys.exit(f"{server} --helpfull listed no --listen flag:\n"
                         f"{text[:2000]}")
            return flags
        pattern = re.compile(r"ABSL_FLAG\(\s*([\w:<>\s]+?)\s*,\s*(\w+)\s*,")
        for base, _, files in os.walk(os.path.join(self.root, "services")):
            for name in files:
                if not name.endswith(".cc") or name.endswith("_test.cc"):
                    continue
                with open(os.path.join(base, name), encoding="utf-8") as f:
                    for match in pattern.finditer(f.read()):
                        flags[match.group(2)] = match.group(1) == "bool"
        if "listen" not in flags:
            sys.exit("no ABSL_FLAG(..., listen, ...) under services/")
        return flags

    def _known_services(self):
        text = self._read("services", "server", "server_config.h")
        match = self._search(r"kKnownServices\[\]\s*=\s*\{([^}]*)\}", text,
                             "services/server/server_config.h")
        return re.findall(r'"(\w+)"', match.group(1))

    def _peer_needs(self):
        """Service -> the peers it needs (server_config.cc's kNeeds)."""
        text = self._read("services", "server", "server_config.cc")
        match = self._search(r"kNeeds\[\]\s*=\s*\{(.*?)\};", text,
                             "services/server/server_config.cc", re.DOTALL)
        needs = {}
        for service, peer in re.findall(r'\{"(\w+)",\s*"(\w+)"\}',
                                        match.group(1)):
            needs.setdefault(service, set()).add(peer)
        return needs

    def _grpc_service_names(self):
        """Service -> its gRPC service's full name, from the protos."""
        names = {}
        for service in self.services:
            folder = os.path.join(self.root, "proto", "carebridge", service,
                                  "v1")
            for name in sorted(os.listdir(folder)):
                text = self._read("proto", "carebridge", service, "v1", name)
                package = re.search(r"^package\s+([\w.]+);", text, re.M)
                for grpc in re.findall(r"^service\s+(\w+)", text, re.M):
                    if grpc.lower() == f"{service}service":
                        names[service] = f"{package.group(1)}.{grpc}"
            if service not in names:
                sys.exit(f"{folder}: no service {service}Service")
        return names

    def _image(self):
        """deploy/docker/Dockerfile's user id and the paths of the binaries
        it installs."""
        where = "deploy/docker/Dockerfile"
        text = self._read("deploy", "docker", "Dockerfile")
        uid = int(self._search(r"useradd [^\n]*--uid (\d+)", text, where)
                  .group(1))
        copy = self._search(r"^COPY --from=build (.*) (/\S+/)$", text, where,
                            re.M)
        binaries = {os.path.join(copy.group(2), os.path.basename(path))
                    for path in copy.group(1).split()}
        return uid, binaries

    def _project_version(self):
        text = self._read("CMakeLists.txt")
        return self._search(r"project\(\w+\s+VERSION\s+([\d.]+)", text,
                            "CMakeLists.txt").group(1)
