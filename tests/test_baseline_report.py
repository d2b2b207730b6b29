"""`assay baseline` end to end on the seed-pattern project: triage, coverage, the report."""

from __future__ import annotations

import json

from tests.helpers import plain_pytest, run_assay
from tests.triage.expected import EXPECTED_RULES


def test_seed_failures_land_in_their_rules_with_the_report_sections(fixture_project):
    project = fixture_project("seed_failures")
    out_json = project.parent / "report.json"
    out_md = project.parent / "report.md"
    proc = run_assay("baseline", project, "--json", out_json, "--markdown", out_md)
    assert proc.returncode == 1, proc.stderr
    report = json.loads(out_json.read_text())

    counts, _ = plain_pytest(project)
    ours = {k: report["counts"][k] for k in counts}
    ours["error"] += len(report["collection_errors"])
    assert ours == counts

    rule_of = {t: c["rule"] for c in report["failure_categories"] for t in c["tests"]}
    assert rule_of == EXPECTED_RULES
    priorities = [c["priority"] for c in report["failure_categories"]]
    assert priorities == list(range(1, len(priorities) + 1))
    sizes = [len(c["tests"]) for c in report["failure_categories"]]
    assert sizes == sorted(sizes, reverse=True)

    by_rule = {c["rule"]: c for c in report["failure_categories"]}
    evidence = "\n".join(by_rule["signature-mismatch"]["evidence"])
    assert "base_kl_weight" in evidence
    drift = "\n".join(
        e for c in report["failure_categories"] if c["rule"] == "interface-drift"
        for e in c["evidence"]
    )  # fmt: skip
    assert "record_metric" in drift

    modules = {m["path"]: m for m in report["coverage"]["modules"]}
    assert "training/distill_kd.py" in modules
    assert all(m["status"] in {"Critical", "Low", "Fair", "Good", "Excellent"}
               for m in modules.values())  # fmt: skip

    markdown = out_md.read_text()
    for section in ("## Summary", "## Coverage by Module", "## Failures by Category",
                    "## Collection Errors", "## Next Steps", "## Coverage Goals",
                    "## Command Reference", "## Environment Summary", "## Test Tree Snapshot",
                    "## Quick Fix Checklist", "## Success Metrics"):  # fmt: skip
        assert section in markdown
    assert "`signature-mismatch`" in markdown
    assert " -m pytest -p no:cacheprovider tests/test_distill_kd.py::" in markdown


def test_user_failure_categories_from_config_come_first(fixture_project):
    project = fixture_project("outcomes")
    config = project / "pyproject.toml"
    config.write_text(
        config.read_text()
        + "\n[[tool.assay.failure_categories]]\n"
        + 'name = "Bad values"\nmessage = "^ValueError: bad value"\naction = "Validate input"\n'
    )
    out = project.parent / "report.json"
    run_assay("baseline", project, "--no-coverage", "--json", out)
    report = json.loads(out.read_text())
    custom = [c for c in report["failure_categories"] if c["rule"] == "custom"]
    assert len(custom) == 1
    assert custom[0]["tests"] == ["tests/test_loose.py::test_loose_fail"]
    assert custom[0]["action"] == "Validate input"
    assert "Bad values" in custom[0]["title"]
