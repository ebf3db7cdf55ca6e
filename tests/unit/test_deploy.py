"""What deploy/ promises beyond schema validity (scripts/check-deploy checks the schemas): every
role runs in docker-compose.yml and in the Kustomize base, non-root, probed, with requests and
limits and the right metrics port, and no secret has a working default."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from services.core.roles import ROLES
from services.core.settings.ops import METRICS_OFFSETS

REPO = Path(__file__).resolve().parents[2]
K8S = REPO / "deploy" / "k8s"
PROCESSES = (*ROLES, "trainer", "gateway", "webhook", "ml-backend", "console")
METRICS_BASE = 18010


def _k8s_docs() -> list[dict[str, Any]]:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    docs: list[dict[str, Any]] = []
    for name in kustomization["resources"]:
        docs += [d for d in yaml.safe_load_all((K8S / name).read_text()) if d]
    return docs


def _deployments() -> dict[str, dict[str, Any]]:
    return {
        d["metadata"]["name"].removeprefix("eddy-"): d
        for d in _k8s_docs()
        if d["kind"] == "Deployment"
    }


def test_the_kustomization_lists_every_manifest() -> None:
    listed = set(yaml.safe_load((K8S / "kustomization.yaml").read_text())["resources"])
    on_disk = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert listed == on_disk


def test_every_process_is_a_hardened_probed_deployment() -> None:
    deployments = _deployments()
    assert set(PROCESSES) <= set(deployments)
    for role in PROCESSES:
        pod = deployments[role]["spec"]["template"]
        spec = pod["spec"]
        assert spec["securityContext"]["runAsNonRoot"] is True, role
        assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, role
        (ctr,) = spec["containers"]
        sec = ctr["securityContext"]
        assert sec["readOnlyRootFilesystem"] and not sec["allowPrivilegeEscalation"], role
        assert sec["capabilities"]["drop"] == ["ALL"], role
        assert {"livenessProbe", "readinessProbe"} <= set(ctr), role
        assert {"cpu", "memory"} <= set(ctr["resources"]["requests"]), role
        assert "memory" in ctr["resources"]["limits"], role
        ann = pod["metadata"]["annotations"]
        assert ann["prometheus.io/scrape"] == "true", role
        assert int(ann["prometheus.io/port"]) == METRICS_BASE + METRICS_OFFSETS[role], role
        mounts = {m["mountPath"] for m in ctr["volumeMounts"]}
        assert {"/var/lib/eddy", "/var/lib/eddy/models", "/tmp"} <= mounts, role
    classify = deployments["classify"]["spec"]["template"]["spec"]["containers"][0]
    assert classify["resources"]["limits"]["nvidia.com/gpu"] == 1


def test_classify_scales_on_lag_up_to_the_partitions() -> None:
    docs = _k8s_docs()
    (hpa,) = [d for d in docs if d["kind"] == "HorizontalPodAutoscaler"]
    assert hpa["spec"]["scaleTargetRef"]["name"] == "eddy-classify"
    (config,) = [d for d in docs if d["kind"] == "ConfigMap"]
    assert hpa["spec"]["maxReplicas"] == int(config["data"]["EDDY_PARTITIONS"])
    (metric,) = hpa["spec"]["metrics"]
    assert metric["external"]["metric"]["name"] == "eddy_consumer_lag_records"


def test_secrets_are_in_the_secret_not_the_config_map() -> None:
    (config,) = [d for d in _k8s_docs() if d["kind"] == "ConfigMap"]
    secretish = re.compile(r"TOKEN|PASSWORD|SECRET|KEY")
    assert not [k for k in config["data"] if secretish.search(k)]
    example = (K8S / "secrets/secrets.env.example").read_text()
    assert all(line.endswith("=") for line in example.splitlines() if "=" in line)


def test_the_base_builds_without_a_secrets_file_and_every_pod_reads_the_one_secret() -> None:
    # The base generated the Secret from its own secrets.env: an overlay (or a remote base)
    # could not build without that file in the base's directory.
    assert "secretGenerator" not in yaml.safe_load((K8S / "kustomization.yaml").read_text())
    (gen,) = yaml.safe_load((K8S / "secrets/kustomization.yaml").read_text())["secretGenerator"]
    assert gen["name"] == "eddy-secrets" and gen["options"]["disableNameSuffixHash"] is True
    pods = [
        d["spec"]["template"]["spec"] for d in _k8s_docs() if d["kind"] in ("Deployment", "Job")
    ]
    for pod in pods:
        for container in pod["containers"]:
            refs = [e["secretRef"]["name"] for e in container["envFrom"] if "secretRef" in e]
            assert refs == ["eddy-secrets"], container["name"]


def test_compose_runs_every_process_with_health_ordering_and_no_secret_defaults() -> None:
    text = (REPO / "docker-compose.yml").read_text()
    services = yaml.safe_load(text)["services"]
    commands = {" ".join(s.get("command", [])) for s in services.values()}
    for role in ROLES:
        assert f"worker --role {role}" in commands
    assert {"trainer", "gateway", "webhook", "ml-backend", "console", "topics"} <= commands
    for name, svc in services.items():
        assert svc.get("restart") in ("unless-stopped", "no"), name
        for dep, cond in (svc.get("depends_on") or {}).items():
            assert cond["condition"].startswith("service_"), (name, dep)
    # ${VAR:-default} or ${VAR-default} would give a secret a working default.
    for var, op in re.findall(r"\$\{(\w+)(:?[-?])", text):
        if re.search(r"TOKEN|PASSWORD|SECRET", var):
            assert op == ":?", var
    assert services["kafka"]["environment"]["KAFKA_LOG_DIRS"] == "/var/lib/kafka/data"
    # The registry in MinIO, its bucket made before anything reads or writes a model.
    env = services["trainer"]["environment"]
    assert env["EDDY_MODEL_STORE"].startswith("s3://eddy-models/")
    assert env["EDDY_MODEL_STORE_ENDPOINT"] == "http://minio:9000"
    for name in ("bootstrap", "classify", "trainer"):
        needs = services[name]["depends_on"]["models-bucket"]
        assert needs == {"condition": "service_completed_successfully"}, name
    assert "healthcheck" in services["minio"]
    devices = services["classify"]["deploy"]["resources"]["reservations"]["devices"]
    assert devices[0]["capabilities"] == ["gpu"]


def test_operator_monitoring_scrapes_each_role_as_compose_does_with_the_same_rules() -> None:
    mon = K8S / "monitoring"
    listed = yaml.safe_load((mon / "kustomization.yaml").read_text())["resources"]
    docs = {d["kind"]: d for name in listed for d in yaml.safe_load_all((mon / name).read_text())}
    # The same rules as deploy/prometheus/alerts.yml (scripts/prometheus-rule writes them).
    alerts = yaml.safe_load((REPO / "deploy/prometheus/alerts.yml").read_text())
    assert docs["PrometheusRule"]["spec"] == alerts, "run scripts/prometheus-rule"
    pm = docs["PodMonitor"]["spec"]
    (endpoint,) = pm["podMetricsEndpoints"]
    (relabel,) = endpoint["relabelings"]
    assert relabel["sourceLabels"] == ["__meta_kubernetes_pod_label_app_kubernetes_io_component"]
    jobs = set()
    for name, d in _deployments().items():
        pod_labels = d["spec"]["template"]["metadata"]["labels"]
        assert pm["selector"]["matchLabels"].items() <= pod_labels.items(), name
        (container,) = d["spec"]["template"]["spec"]["containers"]
        assert endpoint["port"] in {p["name"] for p in container["ports"]}, name
        jobs.add(relabel["replacement"].replace("$1", pod_labels["app.kubernetes.io/component"]))
    prom = yaml.safe_load((REPO / "deploy/prometheus/prometheus.yml").read_text())
    assert jobs == {c["job_name"] for c in prom["scrape_configs"]}


def test_the_build_context_is_only_what_the_dockerfiles_copy() -> None:
    # Without a .dockerignore, .venv (2.4 GB) and .eddy (secrets.env) went to the builder.
    sources = set()
    for dockerfile in ("Dockerfile", "Dockerfile.cuda"):
        for line in (REPO / "deploy" / dockerfile).read_text().splitlines():
            if line.startswith("COPY ") and "--from=" not in line:
                sources |= set(line.split()[1:-1])
    lines = [ln for ln in (REPO / ".dockerignore").read_text().splitlines() if ln[:1] not in "#"]
    assert lines[0] == "*"
    assert {ln.removeprefix("!") for ln in lines if ln.startswith("!")} == sources
