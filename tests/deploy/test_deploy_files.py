"""The deployment files, validated by the tools that consume them (no Docker engine or Kubernetes
cluster runs here): Debian's docker-compose parses both compose files together, the Kubernetes
manifests validate against the Kubernetes API schemas (kubernetes-models, tests/deploy/
node_modules from scripts/install-deps.sh) and pass yamllint, the settings the scaling guide
names are where they should be, and the Dockerfile's runtime packages cover every shared
library of the built binary. The one-shot Redis Cluster script runs live against six
redis-servers. Each validator is also fed a broken copy, to show that it can fail.
"""
import fnmatch
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import pytest
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "harness"))

from redis_cluster import RedisNode, command, free_port  # noqa: E402

BIN = os.environ.get("BOXOFFICE_BIN", os.path.join(REPO, "build", "release", "boxoffice"))
K8S = os.path.join(REPO, "k8s")
COMPOSE = [os.path.join(REPO, "docker-compose.yml"), os.path.join(REPO, "docker-compose.scaling.yml")]


def run(*cmd, cwd=REPO, **kw):
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=120, **kw)


def k8s_objects():
    out = {}
    for name in sorted(os.listdir(K8S)):
        with open(os.path.join(K8S, name)) as f:
            for doc in yaml.safe_load_all(f):
                if doc:
                    out[(doc["kind"], doc["metadata"]["name"])] = doc
    return out


# ---- docker-compose ---------------------------------------------------------------------------

def compose_config(*files):
    args = [a for f in files for a in ("-f", f)]
    return run("docker-compose", *args, "config")


def test_docker_compose_accepts_both_files_together():
    r = compose_config(*COMPOSE)
    assert r.returncode == 0, r.stderr
    merged = yaml.safe_load(r.stdout)
    services = merged["services"]
    expected = {"boxoffice", "boxoffice-2", "boxoffice-3", "nginx", "postgres", "postgres-replica", "redis",
                "pgbouncer-command", "pgbouncer-query", "redis-cluster-init"} | {f"redis-node-{i}" for i in range(1, 7)}
    assert expected <= set(services), expected - set(services)
    for i in range(1, 7):
        node = services[f"redis-node-{i}"]
        assert node["command"][node["command"].index("--port") + 1] == str(7000 + i)
        assert node["command"][node["command"].index("--cluster-enabled") + 1] == "yes"
        assert "healthcheck" in node
    for name in ("boxoffice", "boxoffice-2", "boxoffice-3"):
        env = services[name]["environment"]
        assert "@pgbouncer-command:6432/" in env["BOXOFFICE_COMMAND_DB_URL"]
        assert "@pgbouncer-query:6432/" in env["BOXOFFICE_QUERY_DB_URL"]
        assert env["BOXOFFICE_REDIS_URL"].startswith("redis://redis-node-1:7001,")
        assert env["BOXOFFICE_TRUSTED_PROXIES"] == services["nginx"]["networks"]["default"]["ipv4_address"] + "/32"
        assert services[name]["depends_on"]["redis-cluster-init"]["condition"] == "service_completed_successfully"
    assert services["pgbouncer-command"]["environment"]["PGBOUNCER_DB_HOST"] == "postgres"
    assert services["pgbouncer-query"]["environment"]["PGBOUNCER_DB_HOST"] == "postgres-replica"
    assert "./docker/nginx.conf" in " ".join(str(v) for v in services["nginx"]["volumes"]) or \
        any("nginx.conf" in str(v) for v in services["nginx"]["volumes"])


def test_docker_compose_alone_is_option_one():
    r = compose_config(COMPOSE[0])
    assert r.returncode == 0, r.stderr
    services = yaml.safe_load(r.stdout)["services"]
    assert set(services) == {"boxoffice", "postgres", "redis"}
    for s in services.values():
        assert "healthcheck" in s
    assert any("pgdata" in str(v) for v in services["postgres"]["volumes"])


def test_docker_compose_refuses_a_broken_file():
    with tempfile.TemporaryDirectory() as d:
        broken = os.path.join(d, "docker-compose.scaling.yml")
        with open(COMPOSE[1]) as f:
            text = f.read()
        with open(broken, "w") as f:
            f.write(text.replace("condition: service_completed_successfully", "condition: service_done"))
        r = compose_config(COMPOSE[0], broken)
        assert r.returncode != 0 and "service_done" in r.stderr, r.stderr


def test_the_pgbouncer_settings_are_the_scaling_guides():
    with open(os.path.join(REPO, "docker", "pgbouncer", "pgbouncer.ini")) as f:
        settings = dict(re.findall(r"^(\w+) = (.*)$", f.read(), re.M))
    assert settings["pool_mode"] == "transaction"
    assert settings["max_client_conn"] == "1000"
    assert settings["default_pool_size"] == "100"
    with open(os.path.join(REPO, "docker", "pgbouncer", "entrypoint.sh")) as f:
        assert "%include /etc/pgbouncer/boxoffice/pgbouncer.ini" in f.read()


# ---- nginx.conf (the settings; tests/deploy/test_nginx_front.py runs it) -----------------------

def test_nginx_conf_has_the_scaling_guides_settings():
    with open(os.path.join(REPO, "docker", "nginx.conf")) as f:
        conf = f.read()
    for needle in ("worker_connections 10240;", "rate=100r/s", "limit_req zone=per_ip burst=99 nodelay;",
                   "limit_conn per_ip_conn 50;", "gzip on;", "least_conn;", "max_fails=3 fail_timeout=10s",
                   "keepalive 64;", "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
                   "proxy_set_header X-Request-Id $boxoffice_request_id;", "location ~ ^/api/v1/shows/[^/]+/live$",
                   "proxy_read_timeout 3600s;", "proxy_cache static;"):
        assert needle in conf, needle
    gzip_types = re.search(r"gzip_types([^;]*);", conf).group(1).split()
    assert {"application/json", "application/javascript", "text/css"} <= set(gzip_types)


# ---- Kubernetes ------------------------------------------------------------------------------

def validate_k8s(*paths):
    return run("node", os.path.join(HERE, "validate-k8s.mjs"), *paths, cwd=HERE)


def test_kubernetes_manifests_validate_against_the_api_schemas():
    r = validate_k8s(K8S)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "0 failures" in r.stdout
    kinds = {(k, n) for k, n in k8s_objects()}
    assert {("Namespace", "ticket-booking"), ("Deployment", "boxoffice-api"), ("Service", "boxoffice-api"),
            ("Service", "boxoffice-api-public"), ("Ingress", "boxoffice"), ("HorizontalPodAutoscaler", "boxoffice-api"),
            ("PodDisruptionBudget", "boxoffice-api"), ("ConfigMap", "boxoffice-config"),
            ("Secret", "boxoffice-secrets")} <= kinds
    for name in ("namespace.yaml", "api-deployment.yaml", "ingress.yaml", "hpa.yaml"):
        assert os.path.exists(os.path.join(K8S, name)), name


def test_the_validator_refuses_broken_manifests():
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(K8S, "api-deployment.yaml")) as f:
            text = f.read()
        bad = os.path.join(d, "bad.yaml")
        with open(bad, "w") as f:
            f.write(text.replace("replicas: 3", "replicas: three", 1)
                    + "---\napiVersion: autoscaling/v2\nkind: HorizontalPodScaler\nmetadata: {name: x}\n")
        r = validate_k8s(bad)
        assert r.returncode == 1, r.stdout
        assert "spec/replicas must be integer" in r.stdout
        assert "no kind HorizontalPodScaler" in r.stdout


def test_yamllint_passes_on_the_deployment_files():
    r = run("yamllint", "--strict", "-c", ".yamllint", "k8s", *COMPOSE, ".yamllint")
    assert r.returncode == 0, r.stdout + r.stderr
    with tempfile.TemporaryDirectory() as d:
        bad = os.path.join(d, "bad.yaml")
        with open(bad, "w") as f:
            f.write("a: 1\na: 2\nb:   [x,y]\n")
        r = run("yamllint", "--strict", "-c", ".yamllint", bad)
        assert r.returncode != 0 and "duplication of key" in r.stdout


def test_the_deployment_and_its_probes():
    objs = k8s_objects()
    dep = objs[("Deployment", "boxoffice-api")]
    assert dep["metadata"]["namespace"] == "ticket-booking"
    assert dep["spec"]["replicas"] == 3
    pod = dep["spec"]["template"]["spec"]
    [c] = pod["containers"]
    assert c["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert c["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert set(c["resources"]["requests"]) == set(c["resources"]["limits"]) == {"cpu", "memory"}
    assert c["lifecycle"]["preStop"]["exec"]["command"][0] == "sleep"
    pre_stop = int(c["lifecycle"]["preStop"]["exec"]["command"][1])
    config = objs[("ConfigMap", "boxoffice-config")]["data"]
    drain = int(config["BOXOFFICE_SHUTDOWN_TIMEOUT"].rstrip("s"))
    assert pod["terminationGracePeriodSeconds"] > pre_stop + drain
    assert {e.get("configMapRef", {}).get("name") for e in c["envFrom"]} >= {"boxoffice-config"}
    assert {e.get("secretRef", {}).get("name") for e in c["envFrom"]} >= {"boxoffice-secrets"}
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert config["BOXOFFICE_LISTEN"] == "0.0.0.0:8080"
    assert c["ports"][0]["containerPort"] == 8080
    for (kind, _), obj in objs.items():
        if kind != "Namespace":
            assert obj["metadata"]["namespace"] == "ticket-booking", (kind, obj["metadata"])
    svc_selector = objs[("Service", "boxoffice-api")]["spec"]["selector"]
    assert svc_selector.items() <= dep["spec"]["template"]["metadata"]["labels"].items()
    assert objs[("Service", "boxoffice-api-public")]["spec"]["type"] == "LoadBalancer"
    pdb = objs[("PodDisruptionBudget", "boxoffice-api")]["spec"]
    assert pdb["selector"]["matchLabels"].items() <= dep["spec"]["template"]["metadata"]["labels"].items()


def test_the_hpa_is_the_scaling_guides():
    hpa = k8s_objects()[("HorizontalPodAutoscaler", "boxoffice-api")]
    assert hpa["apiVersion"] == "autoscaling/v2"
    spec = hpa["spec"]
    assert spec["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "boxoffice-api"}
    assert (spec["minReplicas"], spec["maxReplicas"]) == (3, 20)
    targets = {m["resource"]["name"]: m["resource"]["target"]["averageUtilization"] for m in spec["metrics"]}
    assert targets == {"cpu": 70, "memory": 80}
    up = spec["behavior"]["scaleUp"]
    assert up["selectPolicy"] == "Max"
    assert sorted((p["type"], p["value"], p["periodSeconds"]) for p in up["policies"]) == [("Percent", 100, 15), ("Pods", 4, 15)]
    down = spec["behavior"]["scaleDown"]
    assert [(p["type"], p["value"], p["periodSeconds"]) for p in down["policies"]] == [("Percent", 10, 60)]


def test_the_ingress_keeps_websockets_open():
    ing = k8s_objects()[("Ingress", "boxoffice")]
    ann = ing["metadata"]["annotations"]
    assert int(ann["nginx.ingress.kubernetes.io/proxy-read-timeout"]) >= 3600
    assert int(ann["nginx.ingress.kubernetes.io/proxy-send-timeout"]) >= 3600
    backend = ing["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend["name"] == "boxoffice-api"


# ---- Dockerfile ------------------------------------------------------------------------------

def dockerfile():
    with open(os.path.join(REPO, "Dockerfile")) as f:
        return f.read()


def test_the_dockerfile_builds_as_the_readme_and_runs_unprivileged():
    text = dockerfile()
    froms = re.findall(r"^FROM (\S+)", text, re.M)
    assert froms == ["debian:bookworm-slim", "debian:bookworm-slim"], froms
    assert "bash scripts/install-deps.sh --build" in text
    assert "cmake --preset release" in text and "cmake --build --preset release" in text
    assert "install-deps.sh --runtime" in text
    user = re.findall(r"^USER (\S+)", text, re.M)
    assert user and not user[-1].startswith(("0", "root")), user
    assert re.search(r"^HEALTHCHECK .*\n?.*http://127\.0\.0\.1:8080/healthz", text, re.M)
    assert re.search(r"^ENV BOXOFFICE_LISTEN=0\.0\.0\.0:8080", text, re.M)
    assert re.search(r'^ENTRYPOINT \["boxoffice", "serve"\]$', text, re.M)


def _packages(mode):
    """The package names install-deps.sh installs in `mode` (read from the script's arrays)."""
    with open(os.path.join(REPO, "scripts", "install-deps.sh")) as f:
        text = f.read()
    name = {"--build": "BUILD_PACKAGES", "--runtime": "RUNTIME_PACKAGES"}[mode]
    body = re.search(name + r"=\(\n(.*?)\n\)", text, re.S).group(1)
    return body.split()


def test_the_runtime_packages_carry_every_library_the_binary_links():
    """Every shared library `ldd` finds for the binary is in a package that the runtime image
    installs: one named in RUNTIME_PACKAGES or one they depend on (apt's closure), or in the
    base image (essential/required packages of debian:bookworm-slim)."""
    assert os.path.exists(BIN), f"no binary at {BIN} (BOXOFFICE_BIN)"
    ldd = run("ldd", BIN)
    assert ldd.returncode == 0, ldd.stderr
    libs = re.findall(r"=> (/\S+)", ldd.stdout)
    assert len(libs) > 5
    owners = set()
    for lib in libs:
        r = run("dpkg", "-S", os.path.realpath(lib))
        if r.returncode != 0:
            r = run("dpkg", "-S", lib)
        assert r.returncode == 0, f"{lib}: no package owns it"
        owners.add(r.stdout.split(":")[0])
    runtime = _packages("--runtime")
    closure = run("apt-cache", "depends", "--recurse", "--no-recommends", "--no-suggests", "--no-conflicts",
                  "--no-breaks", "--no-replaces", "--no-enhances", *runtime)
    assert closure.returncode == 0, closure.stderr
    installed = {line.strip().split(":")[0] for line in closure.stdout.splitlines() if line and not line.startswith(" ")}
    required = run("dpkg-query", "-W", "-f", "${Package} ${Priority} ${Essential}\n")
    base = {line.split()[0] for line in required.stdout.splitlines()
            if " required " in line + " " or line.endswith(" yes")}
    missing = owners - installed - base
    assert not missing, f"libraries of {missing} would be missing in the runtime image"


def _docker_context():
    """The files `docker build .` sends, per .dockerignore (its patterns as used there: plain
    names, folder/ and **/name/)."""
    with open(os.path.join(REPO, ".dockerignore")) as f:
        patterns = [p.strip() for p in f if p.strip() and not p.startswith("#")]
    files = run("git", "ls-files", "--cached", "--others", "--exclude-standard").stdout.split()

    def ignored(path):
        for p in patterns:
            bare = p.rstrip("/")
            if bare.startswith("**/"):
                if any(fnmatch.fnmatch(part, bare[3:]) for part in path.split("/")):
                    return True
            elif path == bare or path.startswith(bare + "/") or fnmatch.fnmatch(path, bare):
                return True
        return False
    return [f for f in files if not ignored(f)]


def test_the_docker_build_context_configures_with_the_release_preset():
    """What .dockerignore leaves is enough for the build stage's `cmake --preset release` (the
    sources, web/, docs/openapi.yaml, tests/ and tools/ that CMakeLists.txt globs)."""
    context = _docker_context()
    assert "CMakeLists.txt" in context and "src/main.cpp" in context and "docs/openapi.yaml" in context
    assert not [f for f in context if f.startswith(("build/", ".git/")) or "/node_modules/" in f]
    with tempfile.TemporaryDirectory() as d:
        for f in context:
            os.makedirs(os.path.join(d, os.path.dirname(f)), exist_ok=True)
            shutil.copy2(os.path.join(REPO, f), os.path.join(d, f))
        r = run("cmake", "--preset", "release", cwd=d, env=dict(os.environ, CCACHE_DISABLE="1"))
        assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]


# ---- the Redis Cluster one-shot script, live -------------------------------------------------

def test_the_cluster_init_script_makes_three_masters_with_a_replica_each(tmp_path):
    conf = ["cluster-enabled yes", "cluster-config-file nodes.conf", "cluster-node-timeout 2000"]
    ports = []
    while len(ports) < 6:
        p = free_port(cluster_bus=True)
        if p not in ports and p + 10000 not in ports:
            ports.append(p)
    nodes = [RedisNode(str(tmp_path), p, conf) for p in ports]
    try:
        for n in nodes:
            n.start()
        env = dict(os.environ, REDIS_CLUSTER_NODES=" ".join(f"127.0.0.1:{p}" for p in ports))
        script = os.path.join(REPO, "docker", "redis", "cluster-init.sh")
        r = run("sh", script, env=env)
        assert r.returncode == 0, r.stdout + r.stderr
        deadline = time.time() + 30
        while True:
            roles = [command(p, "ROLE") for p in ports]
            masters = [x for x in roles if x[0] == "master"]
            info = command(ports[0], "CLUSTER", "INFO")
            if (len(masters) == 3 and all(len(m[2]) == 1 for m in masters) and "cluster_state:ok" in info) \
                    or time.time() > deadline:
                break
            time.sleep(0.2)
        assert len(masters) == 3 and all(len(m[2]) == 1 for m in masters), roles
        assert "cluster_slots_assigned:16384" in info
        # Run again (a restart of the compose project): nothing to do, and it says so.
        again = run("sh", script, env=env)
        assert again.returncode == 0 and "already exists" in again.stdout, again.stdout + again.stderr
    finally:
        for n in nodes:
            n.stop()
