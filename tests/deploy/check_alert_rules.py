"""Checks deploy/prometheus/*.yaml, the alerting rules, offline (no
Prometheus): each file is a rule file of the shape Prometheus loads; every
carebridge_ metric an expression reads is one carebridge-server exposes
(named in its sources), every status code it compares with is a canonical
one, and every label an annotation prints survives the expression's
aggregation. Runs `promtool check rules` on each, and `promtool test rules`
on tests/deploy/alert_rules_test.yaml, which must test every alert (that
it fires on what should raise it, with its labels and annotations, and not
otherwise). promtool is Debian's prometheus package, which the test command
installs. Then checks itself: a copy broken in each of those ways must fail.

usage: check_alert_rules.py --root=REPO
"""

import argparse
import copy
import glob
import os
import re
import shutil
import subprocess
import sys

import yaml

CODES = {
    "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED",
    "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED",
    "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
}
SEVERITIES = {"page", "warning", "info"}
DURATION = re.compile(r"^([0-9]+(ms|s|m|h|d|w|y))+$")
ALERT_NAME = re.compile(r"^[A-Z][A-Za-z0-9]*$")
HISTOGRAM_SUFFIXES = ("_bucket", "_count", "_sum")


def exposed_metrics(root):
    """The carebridge_ names in the server's sources ("carebridge_...")."""
    names = set()
    for path in glob.glob(os.path.join(root, "services", "**", "*.cc"),
                          recursive=True):
        if path.endswith("_test.cc"):
            continue
        with open(path, encoding="utf-8") as f:
            names.update(re.findall(r'"(carebridge_[a-z0-9_]+)"', f.read()))
    if not names:
        sys.exit(f"{root}/services: no carebridge_ metric names found; has "
                 "the way metrics are named changed?")
    return names


def problems_of_rule(rule, where, known):
    """What is wrong with one alerting rule (a list of strings)."""
    found = []
    name = rule.get("alert")
    if not isinstance(name, str) or not ALERT_NAME.match(name):
        found.append(f"{where}: alert must be a CamelCase name, not {name!r}")
    where = f"{where} ({name})"
    expr = rule.get("expr")
    if not isinstance(expr, str) or not expr.strip():
        return found + [f"{where}: expr must be a PromQL expression"]
    for opening, closing in ("()", "{}", "[]"):
        if expr.count(opening) != expr.count(closing):
            found.append(f"{where}: expr has unbalanced {opening}{closing}")
    if "for" in rule and not DURATION.match(str(rule["for"])):
        found.append(f"{where}: for: {rule['for']!r} is not a duration")
    extra = set(rule) - {"alert", "expr", "for", "labels", "annotations",
                         "keep_firing_for"}
    if extra:
        found.append(f"{where}: unknown fields {sorted(extra)}")
    for metric in re.findall(r"\bcarebridge_[a-z0-9_]+", expr):
        base = metric
        for suffix in HISTOGRAM_SUFFIXES:
            if metric.endswith(suffix) and metric[:-len(suffix)] in known:
                base = metric[:-len(suffix)]
        if base not in known:
            found.append(f"{where}: {metric} is not a metric carebridge-"
                         "server exposes (no such name in services/)")
    for values in re.findall(r'\bcode\s*(?:=|!=|=~|!~)\s*"([^"]*)"', expr):
        for code in values.split("|"):
            if code not in CODES:
                found.append(f"{where}: code {code!r} is not a canonical "
                             "status code name")
    labels = rule.get("labels") or {}
    if labels.get("severity") not in SEVERITIES:
        found.append(f"{where}: labels.severity must be one of "
                     f"{sorted(SEVERITIES)}")
    annotations = rule.get("annotations") or {}
    for field in ("summary", "description"):
        if not isinstance(annotations.get(field), str):
            found.append(f"{where}: annotations.{field} must be set")
    kept = None
    for group in re.findall(r"\bby\s*\(([^)]*)\)", expr):
        names = {label.strip() for label in group.split(",") if label.strip()}
        kept = names if kept is None else kept & names
    if kept is not None:
        for text in annotations.values():
            for label in re.findall(r"\$labels\.([A-Za-z_][A-Za-z0-9_]*)",
                                    str(text)):
                if label not in kept:
                    found.append(f"{where}: an annotation prints label "
                                 f"{label}, which the aggregation drops "
                                 f"(kept: {sorted(kept)})")
    return found


def problems_of_file(document, where, known):
    """What is wrong with one rule file's contents."""
    if not isinstance(document, dict) or not isinstance(
            document.get("groups"), list) or not document["groups"]:
        return [f"{where}: must be a mapping with a non-empty list `groups`"]
    found = []
    group_names = set()
    alerts = set()
    for i, group in enumerate(document["groups"]):
        name = group.get("name") if isinstance(group, dict) else None
        if not isinstance(name, str) or name in group_names:
            found.append(f"{where}: groups[{i}] needs a name of its own")
        group_names.add(name)
        rules = group.get("rules") if isinstance(group, dict) else None
        if not isinstance(rules, list) or not rules:
            found.append(f"{where}: group {name}: rules must be a list")
            continue
        for j, rule in enumerate(rules):
            at = f"{where}: group {name} rule {j}"
            if not isinstance(rule, dict):
                found.append(f"{at}: must be a mapping")
                continue
            if rule.get("alert") in alerts:
                found.append(f"{at}: alert {rule.get('alert')} twice")
            alerts.add(rule.get("alert"))
            found += problems_of_rule(rule, at, known)
    return found


def self_check(document, known):
    """Copies of a checked file broken one way at a time must each fail."""
    def broken(change):
        bad = copy.deepcopy(document)
        change(bad["groups"][0]["rules"][0])
        return problems_of_file(bad, "self-check", known)

    def renamed_metric(rule):
        rule["expr"] = re.sub(r"carebridge_[a-z0-9_]+",
                              "carebridge_no_such_total", rule["expr"])

    def unknown_code(rule):
        rule["expr"] += ' or carebridge_rpc_calls_total{code="DATALOSS"}'

    def dropped_label(rule):
        rule["annotations"]["summary"] += " {{ $labels.no_such_label }}"

    def no_severity(rule):
        rule["labels"] = {}

    def bad_for(rule):
        rule["for"] = "five minutes"

    failures = []
    for change in (renamed_metric, unknown_code, dropped_label, no_severity,
                   bad_for):
        if not broken(change):
            failures.append(f"self-check: a rule broken by {change.__name__} "
                            "passed the check")
    return failures


def alert_names(document):
    """The alerts a rule file defines."""
    return {rule.get("alert") for group in document.get("groups") or []
            for rule in group.get("rules") or [] if isinstance(rule, dict)}


def unit_test_problems(root, alerts):
    """Runs the rules' unit tests; every alert must have one."""
    path = os.path.join(root, "tests", "deploy", "alert_rules_test.yaml")
    with open(path, encoding="utf-8") as f:
        tests = yaml.safe_load(f)
    tested = {case.get("alertname") for test in tests.get("tests") or []
              for case in test.get("alert_rule_test") or []}
    found = [f"{path}: alert {name} has no test" for name in
             sorted(alerts - tested)]
    found += [f"{path}: tests alert {name}, which no rule file defines"
              for name in sorted(tested - alerts)]
    run = subprocess.run(["promtool", "test", "rules", path],
                         capture_output=True, text=True, check=False)
    if run.returncode != 0:
        found.append(f"{path}: promtool test rules: {run.stdout}{run.stderr}")
    return found


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", required=True)
    args = parser.parse_args()
    known = exposed_metrics(args.root)
    files = sorted(glob.glob(os.path.join(args.root, "deploy", "prometheus",
                                          "*.yaml")))
    if not files:
        sys.exit(f"{args.root}/deploy/prometheus: no rule files")
    failures = []
    first = None
    alerts = set()
    for path in files:
        with open(path, encoding="utf-8") as f:
            document = yaml.safe_load(f)
        failures += problems_of_file(document, path, known)
        first = first or document
        if not shutil.which("promtool"):
            sys.exit("promtool is not installed (Debian's prometheus package; "
                     "tests/run_all.sh installs it)")
        run = subprocess.run(["promtool", "check", "rules", path],
                             capture_output=True, text=True, check=False)
        if run.returncode != 0:
            failures.append(f"{path}: promtool: {run.stdout}{run.stderr}")
        alerts.update(alert_names(document))
    failures += unit_test_problems(args.root, alerts)
    failures += self_check(first, known)
    for failure in failures:
        print(failure)
    print(f"{len(files)} rule files checked against {len(known)} metric "
          f"names: {'FAILED' if failures else 'ok'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
