#!/usr/bin/env python3
# Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
# Version 2.0; see LICENSE.
#
# The JUnit side of tests/conformance/run.sh: e2e.test writes one JUnit file
# per process (with every spec of the suite in it, all but the focused one
# marked skipped); this reads them and writes the one merged report.
#
#   junit.py names FILE            the specs a --ginkgo.dryRun file selects
#                                  (those not marked skipped), one a line
#   junit.py result FILE NAME LOG SLIM
#                                  "STATUS<TAB>MESSAGE" for spec NAME: passed,
#                                  failed or skipped (by the test itself);
#                                  "missing" when NAME is not in FILE (the
#                                  process died or BeforeSuite failed).
#                                  MESSAGE: the failure's first line, or the
#                                  skip reason read from LOG.  Writes SLIM: FILE
#                                  without the thousands of specs the focus
#                                  skipped
#   junit.py merge RESULTS OUT     write the merged report OUT from RESULTS
#                                  (run.sh's table: NAME, STATUS, SECONDS,
#                                  DETAIL, per-test JUnit file, log, what
#                                  expected-failures.txt says; tab separated)
import re
import sys
import xml.etree.ElementTree as ET


def cases(path):
    """The testcase elements of a JUnit file (ginkgo writes one testsuite)."""
    return ET.parse(path).getroot().iter("testcase")


def names(path):
    for case in cases(path):
        if case.find("skipped") is None:
            print(case.get("name"))


def skip_reason(log):
    """The message of a spec that skipped itself, from ginkgo's output:

    S [SKIPPING] in Spec Setup (BeforeEach) [0.1 seconds]
    <spec text lines> ...
      <message>

      <location>
    """
    try:
        text = open(log, errors="replace").read()
    except OSError:
        return ""
    at = text.rfind("[SKIPPING]")
    if at < 0:
        return ""
    # The message is the indented paragraph just before the last location
    # line of the block ("  /path/file.go:123").
    block = text[at:].split("\n------------------------------")[0]
    paras = [p.strip() for p in re.split(r"\n\s*\n", block) if p.strip()]
    for p in reversed(paras):
        if not re.fullmatch(r"\S+\.go:\d+", p):
            return " ".join(p.split())[:300]
    return ""


def summary(text):
    """One line out of ginkgo's failure text: "FILE:LINE\nDATE: MESSAGE...",
    where an unexpected error ends "    ERROR\noccurred"."""
    lines = [l.strip() for l in (text or "").splitlines()]
    lines = [l for l in lines if l and not re.fullmatch(r"\S+\.go:\d+", l)]
    if "occurred" in lines and lines.index("occurred") > 0:
        return "error: " + lines[lines.index("occurred") - 1][:250]
    if not lines:
        return ""
    first = re.sub(r"^\w{3} +\d+ [\d:.]+: ", "", lines[0])
    return first[:250]


def result(path, name, log, slim):
    try:
        tree = ET.parse(path)
    except (OSError, ET.ParseError):
        tree = None
    all_cases = list(tree.getroot().iter("testcase")) if tree else []
    if tree is not None:
        root = tree.getroot()
        for c in list(root):
            if c.tag == "testcase" and c.get("name") != name and \
                    c.find("skipped") is not None:
                root.remove(c)
        tree.write(slim, encoding="utf-8", xml_declaration=True)
    found = [c for c in all_cases if c.get("name") == name]
    if not found:
        # BeforeSuite (the framework's checks of the cluster) failed, or the
        # process died before it wrote the file.
        for c in all_cases:
            f = c.find("failure")
            if f is not None:
                print("missing\t%s: %s" % (c.get("name"), summary(f.text)))
                return
        print("missing\t")
        return
    case = found[0]
    failure = case.find("failure")
    if failure is not None:
        print("failed\t" + summary(failure.text or failure.get("message")))
    elif case.find("skipped") is not None:
        print("skipped\t" + skip_reason(log))
    else:
        print("passed\t")


def merge(results, out):
    suite = ET.Element("testsuite", name="kovn sig-network conformance")
    counts = {"tests": 0, "failures": 0, "skipped": 0}
    total = 0.0
    for line in open(results):
        fields = line.rstrip("\n").split("\t")
        name, status, seconds, detail = fields[:4]
        junit = fields[4] if len(fields) > 4 else ""
        log = fields[5] if len(fields) > 5 else ""
        expected = fields[6] if len(fields) > 6 else ""
        case = ET.SubElement(suite, "testcase", name=name,
                             classname="Kubernetes e2e suite",
                             time=seconds or "0")
        counts["tests"] += 1
        total += float(seconds or 0)
        if status == "skipped":
            counts["skipped"] += 1
            ET.SubElement(case, "skipped", message=detail)
        elif status == "flaky":
            ET.SubElement(case, "system-out").text = (
                "flaky: " + detail + ("; first try's log: " + log
                                      if log else ""))
        elif status == "failed":
            counts["failures"] += 1
            fail = ET.SubElement(case, "failure", message=detail)
            fail.text = failure_text(junit, name) or detail
            notes = []
            if expected:
                notes.append("expected failure (tests/conformance/"
                           "expected-failures.txt): " + expected)
            if log:
                notes.append("log: " + log)
            if notes:
                ET.SubElement(case, "system-out").text = "\n".join(notes)
    for k, v in counts.items():
        suite.set(k, str(v))
    suite.set("time", "%.1f" % total)
    ET.ElementTree(suite).write(out, encoding="utf-8", xml_declaration=True)


def failure_text(junit, name):
    """The whole failure message e2e.test wrote for NAME, if any."""
    try:
        for case in cases(junit):
            if case.get("name") == name and case.find("failure") is not None:
                return case.find("failure").text or case.find("failure").get("message")
    except (OSError, ET.ParseError):
        pass
    return ""


def main(argv):
    if len(argv) == 3 and argv[1] == "names":
        names(argv[2])
    elif len(argv) == 6 and argv[1] == "result":
        result(argv[2], argv[3], argv[4], argv[5])
    elif len(argv) == 4 and argv[1] == "merge":
        merge(argv[2], argv[3])
    else:
        sys.exit("usage: junit.py names FILE | result FILE NAME LOG SLIM | merge RESULTS OUT")


if __name__ == "__main__":
    main(sys.argv)
