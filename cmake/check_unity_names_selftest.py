#!/usr/bin/env python3
"""check_unity_names.py finds each kind of clash, one at a time, and passes
what compiles together in one batch (overloads, a repeated alias, names in
indented code or in a named namespace)."""
import os
import subprocess
import sys
import tempfile

CHECK = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                     "check_unity_names.py")

FINE = {
    "a.cc": """#include "services/common/errors.h"
namespace carebridge::careplan {
namespace {

namespace cp = ::carebridge::careplan::v1;

std::string Word(cp::Kind kind) {
  return "a";
}

}  // namespace

int Shared() {
  int kLimit = 1;
  return kLimit;
}

}  // namespace carebridge::careplan
""",
    "b.cc": """#include "services/common/errors.h"
namespace carebridge::careplan {
namespace {

namespace cp = careplan::v1;

std::string Word(const std::string& name) {
  return name;
}

}  // namespace

int Other() {
  int kLimit = 2;
  return errors::Invalid("x", "y").ok() ? kLimit : 0;
}

}  // namespace carebridge::careplan
""",
}

CLASHES = [
    ("a constant", "constexpr int kMaxAttempts = 5;\n", "kMaxAttempts"),
    ("a function", "absl::Status Refused(absl::string_view why) {\n}\n",
     "Refused"),
    ("a type alias", "using Stub = cp::CarePlanService::Stub;\n", "Stub"),
    ("a struct", "struct Row {\n  int a;\n};\n", "Row"),
    ("a static function", None, "Helper"),
]


def run(files):
    with tempfile.TemporaryDirectory() as work:
        paths = []
        for name, text in files.items():
            path = os.path.join(work, name)
            with open(path, "w", encoding="utf-8") as out:
                out.write(text)
            paths.append(path)
        lists = os.path.join(work, "lists.txt")
        with open(lists, "w", encoding="utf-8") as out:
            out.write("library;" + ";".join(paths) + "\n")
        result = subprocess.run([sys.executable, CHECK, lists],
                                capture_output=True, text=True, check=False)
        return result.returncode, result.stdout


def anonymous(text):
    return ("namespace carebridge {\nnamespace {\n\n" + text +
            "\n}  // namespace\n}  // namespace carebridge\n")


def main():
    failures = []
    code, out = run(FINE)
    if code != 0:
        failures.append("sources that compile together were refused:\n" + out)
    for what, text, name in CLASHES:
        if text is None:
            files = {"x.cc": "static int Helper() { return 1; }\n",
                     "y.cc": "static int Helper() { return 1; }\n"}
        else:
            files = {"x.cc": anonymous(text), "y.cc": anonymous(text)}
        code, out = run(dict(FINE, **files))
        if code == 0 or "`%s`" % name not in out:
            failures.append("%s defined twice (`%s`) was not found:\n%s" %
                            (what, name, out))
    # errors:: in a batch where a service's errors.h declared its own.
    hidden = dict(FINE)
    hidden["c.cc"] = ('#include "services/careplan/errors.h"\n' +
                      anonymous("int C() { return 0; }\n"))
    code, out = run(hidden)
    if code == 0 or "b.cc" not in out or "services/careplan/errors.h" not in out:
        failures.append("errors:: hidden by careplan/errors.h was not found:\n"
                        + out)
    for failure in failures:
        print("FAIL:", failure)
    if not failures:
        print("PASS: every kind of clash found, nothing else")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
