#!/usr/bin/env python3
"""Structural check of .gitlab-ci.yml (GitLab's own linter needs a GitLab server).

Parses the YAML and checks what a typo would silently break: every job's stage is declared, `needs` and
`extends` name existing jobs or templates, every job has a script, images are pinned to a version (no
`latest`, no missing tag), and the pipeline keeps its promises: images tagged with the commit sha, a
vulnerability scan, a secret scan, and a deploy through deploy/scripts/nomad-deploy.sh on the default branch.
It also checks parity with the GitHub pipeline: the same key steps (lint, build, the whole suite, secret scan,
image build, vulnerability scan, push, deploy) in the same order as .github/workflows/ci.yml then deploy.yml,
and the push only after the scan.
usage: check-gitlab-ci.py [.gitlab-ci.yml]
"""
import re
import sys

import yaml

path = sys.argv[1] if len(sys.argv) > 1 else ".gitlab-ci.yml"
with open(path, encoding="utf-8") as f:
    doc = yaml.safe_load(f)

problems = []
KEYWORDS = {"stages", "variables", "workflow", "default", "include", "image", "services", "cache",
            "before_script", "after_script"}
stages = doc.get("stages", [])
variables = doc.get("variables", {})
jobs = {k: v for k, v in doc.items() if k not in KEYWORDS and not k.startswith(".")}
templates = {k: v for k, v in doc.items() if k.startswith(".")}


def resolve(job):
    """The job with its `extends` chain merged in (shallow, as GitLab merges top-level keys)."""
    merged = {}
    parents = job.get("extends", [])
    for parent in [parents] if isinstance(parents, str) else parents:
        if parent not in templates and parent not in jobs:
            problems.append(f"extends unknown '{parent}'")
            continue
        merged.update(resolve(templates.get(parent) or jobs[parent]))
    merged.update({k: v for k, v in job.items() if k != "extends"})
    return merged


def expand(value):
    return re.sub(r"\$\{?(\w+)\}?", lambda m: str(variables.get(m.group(1), m.group(0))), value)


def check_image(where, image):
    name = expand(image["name"] if isinstance(image, dict) else image)
    if name.startswith("$"):
        return  # a runtime variable
    last = name.rsplit("/", 1)[-1]
    if ":" not in last or last.endswith(":latest"):
        problems.append(f"{where}: image '{name}' is not pinned to a version")


if not jobs:
    problems.append("no jobs")
for name, raw in jobs.items():
    job = resolve(raw)
    if job.get("stage", "test") not in stages:
        problems.append(f"{name}: stage '{job.get('stage')}' not in stages {stages}")
    if not job.get("script"):
        problems.append(f"{name}: no script")
    for need in job.get("needs", []):
        need = need["job"] if isinstance(need, dict) else need
        if need not in jobs:
            problems.append(f"{name}: needs unknown job '{need}'")
    if "image" in job:
        check_image(name, job["image"])
    for service in job.get("services", []):
        check_image(f"{name} service", service)

text = open(path, encoding="utf-8").read()
for promise, pattern in [
    ("images tagged with the commit sha", r"imgr:\$CI_COMMIT_SHA"),
    ("image push", r"docker push"),
    ("vulnerability scan", r"trivy image .*--exit-code 1"),
    ("secret scan", r"gitleaks git"),
    ("deploy through nomad-deploy.sh", r"deploy/scripts/nomad-deploy\.sh \"\$CI_COMMIT_SHA\""),
    ("the Nomad CLI taken from the runner, never downloaded", r"command -v nomad"),
]:
    if not re.search(pattern, text):
        problems.append(f"missing: {promise}")
deploy = resolve(jobs.get("deploy", {}))
if not any("CI_DEFAULT_BRANCH" in str(r.get("if", "")) for r in deploy.get("rules", [])):
    problems.append("deploy: not limited to the default branch")

# Parity with GitHub: key steps in the order they appear in each pipeline's files.
STEPS = [
    ("lint", r"npm run lint"),
    ("build", r"npm run build"),
    ("whole suite", r"npm test"),
    ("secret scan", r"gitleaks(:[\w.]+)?\s*(\\\s*)?git "),
    ("image build", r"docker build"),
    ("vulnerability scan", r"trivy[^\n]* image "),
    ("push", r"docker push"),
    ("deploy", r"deploy/scripts/nomad-deploy\.sh"),
]


def order(source):
    found = []
    for name, pattern in STEPS:
        m = re.search(pattern, source)
        found.append((m.start() if m else -1, name))
    return [name for pos, name in sorted(found) if pos >= 0]


github = "".join(open(f".github/workflows/{w}.yml", encoding="utf-8").read() for w in ("ci", "deploy"))
if order(text) != order(github):
    problems.append(f"steps differ from GitHub's: GitLab {order(text)}, GitHub {order(github)}")
push_jobs = [n for n, j in jobs.items() if "docker push" in " ".join(resolve(j).get("script", []))]
scan_jobs = {n for n, j in jobs.items() if "trivy" in " ".join(resolve(j).get("script", []))}
for name in push_jobs:
    needs = {n["job"] if isinstance(n, dict) else n for n in resolve(jobs[name]).get("needs", [])}
    if not needs & scan_jobs:
        problems.append(f"{name}: pushes images without needing the scan job {sorted(scan_jobs)}")
build_jobs = [n for n, j in jobs.items() if "npm test" in " ".join(resolve(j).get("script", []))]
if not build_jobs:
    problems.append("no job runs the whole suite (npm test)")

if problems:
    print(f"{path}: {len(problems)} problem(s):\n  " + "\n  ".join(problems), file=sys.stderr)
    sys.exit(1)
print(f"{path}: {len(jobs)} jobs in {len(stages)} stages, structure ok")
