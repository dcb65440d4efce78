#!/usr/bin/env python3
"""Names two sources of one library both define at file scope.

The unity build (CAREBRIDGE_UNITY_BUILD, cmake/unity_build.cmake) compiles
a batch of a library's sources as one file, so two file-local definitions of
one name (in an anonymous namespace, or `static`) become a redefinition that
only that build reports. This finds them from the sources, in the
development build, without compiling: for every library it is given, the
names found in two or more of its sources that are not compiled on their
own. It reads the code as clang-format writes it (file-scope declarations
start in column 0; an anonymous namespace ends with `}  // namespace`), and
takes two functions whose first lines differ after the name for overloads,
which do compile together; it may still name a pair that would compile
(overloads whose parameters wrap the same way): rename one or list the file
in CAREBRIDGE_UNITY_EXCLUDED all the same.

It also names a source that writes `errors::` for carebridge::errors in a
library where another source includes its service's errors.h (whose
namespace, carebridge::<service>::errors, hides carebridge::errors there).

Usage: check_unity_names.py LISTS_FILE, where each line of LISTS_FILE is
  library;source;source;...   (sources compiled in batches only)
"""
import collections
import re
import sys

KEYWORDS = {"if", "for", "while", "switch", "return", "sizeof", "decltype",
            "operator", "static_assert", "alignas", "TEST", "TEST_F"}
USING = re.compile(r"^using (\w+) =")
ALIAS = re.compile(r"^namespace (\w+) = ([\w:]+);")
TYPE = re.compile(r"^(?:template <[^>]*> )?(?:struct|class|enum(?: class)?|union) (\w+)\b[^;]*$")
# A variable or a function: the last identifier before `=`, `{`, `(` or `[`.
ENTITY = re.compile(r"^(?!using\b|namespace\b|template\b|typedef\b|#|}|//|extern\b)"
                    r"[\w:<>,\s\*&]*?\b(\w+)\s*(?:\(|=|\{|\[)")


def file_scope_names(path):
    """Names with internal linkage the file defines at namespace scope."""
    names = {}
    try:
        lines = open(path, encoding="utf-8").read().split("\n")
    except OSError:
        return names
    anonymous = False
    for line in lines:
        if line.startswith("namespace {"):
            anonymous = True
            continue
        if anonymous and line.startswith("}  // namespace") and \
                not line.startswith("}  // namespace "):
            anonymous = False
            continue
        m = ALIAS.match(line)
        if m:
            # All our code is in namespace carebridge: `cp = careplan::v1`
            # and `cp = ::carebridge::careplan::v1` are one alias.
            target = m.group(2).lstrip(":")
            names[m.group(1)] = ("alias", target[len("carebridge::"):]
                                 if target.startswith("carebridge::") else target)
            continue
        static = line.startswith("static ")
        if (not anonymous and not static) or not line[:1].isalpha():
            continue  # not file-local, or not a declaration's first line
        body = line[len("static "):] if static else line
        for pattern in (USING, TYPE, ENTITY):
            m = pattern.match(body)
            if m and m.group(1) not in KEYWORDS:
                rest = body[m.end(1):].lstrip()
                kind = "function" if rest.startswith("(") else "name"
                names.setdefault(m.group(1), (kind, rest))
                break
    return names


SERVICE_ERRORS = re.compile(r'#include "(services/(?!common/)\w+/errors\.h)"')
COMMON_ERRORS = re.compile(r"(?<![:\w])errors::")


def hidden_errors(sources):
    """Sources whose `errors::` (carebridge::errors) a batch would redirect.

    services/<service>/errors.h declares carebridge::<service>::errors; in a
    batch with a source that includes it, that namespace hides
    carebridge::errors from code in namespace carebridge::<service> that
    writes `errors::Invalid(...)` without including it."""
    included, users = set(), []
    for source in sources:
        try:
            text = open(source, encoding="utf-8").read()
        except OSError:
            continue
        headers = set(SERVICE_ERRORS.findall(text))
        included |= headers
        if COMMON_ERRORS.search(text):
            users.append((source, headers))
    return [(source, sorted(included - headers)) for source, headers in users
            if included - headers]


def conflicts(a, b):
    """Whether two file-scope definitions of one name break one file."""
    if a[0] == b[0] == "alias":
        return a[1] != b[1]  # one alias for one namespace may be repeated
    if a[0] == b[0] == "function":
        return a[1] == b[1]  # else overloads
    return True


def main():
    clashes = []
    for row in open(sys.argv[1], encoding="utf-8").read().split("\n"):
        if not row.strip():
            continue
        library, *sources = row.split(";")
        seen = collections.defaultdict(list)
        for source in sources:
            for name, value in file_scope_names(source).items():
                seen[name].append((source, value))
        for name, where in sorted(seen.items()):
            if not any(conflicts(a, b) for i, (_, a) in enumerate(where)
                       for _, b in where[i + 1:]):
                continue
            clashes.append("%s: `%s` in %s" % (
                library, name, ", ".join(s for s, _ in where)))
        for source, headers in hidden_errors(sources):
            clashes.append("%s: `errors::` in %s is carebridge::errors, which "
                           "the `errors` namespace of %s hides" % (
                               library, source, ", ".join(headers)))
    for clash in clashes:
        print(clash)
    if clashes:
        print("\n%d clash(es) between sources of one library: the unity build "
              "(CAREBRIDGE_UNITY_BUILD) fails on them. Rename one name (or "
              "write ::carebridge::errors), or add the file to "
              "CAREBRIDGE_UNITY_EXCLUDED in cmake/unity_build.cmake."
              % len(clashes))
        return 1
    print("no file-scope name defined twice in one library")
    return 0


if __name__ == "__main__":
    sys.exit(main())
