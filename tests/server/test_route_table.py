"""Every endpoint the mlflow 3.17.2 client uses for the groups we serve exists on the app.

The client's own table (``extract_api_info_for_service`` over its compiled protos) is read
in the mlflow venv and compared with the app's routes, so a path or method typo fails here.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from server_support import InProcess
from starlette.routing import Route

pytestmark = pytest.mark.mlflow

# RPCs outside this issue (traces, prompts' own APIs, Databricks-only presigned URLs, ...)
NOT_SERVED = re.compile(
    r"Trace|Assess|Scorer|Gateway|Dataset|Prompt|Issue|Label|Review|Webhook|Span|Workspace|"
    r"Budget|Guardrail|Secret|Endpoint|Online|Job|Evaluation|Presigned|ListLoggedModelArtifacts|"
    r"Deployment|Queue|Optimiz|Insight|Feedback|Session|Search(?:Evaluation|Trace)|Metric(?:s)?Query|Query"
)


def test_every_client_endpoint_is_routed(mlflow_python: str, app_client: InProcess, tmp_path: Path) -> None:
    script = """
import json
from mlflow.protos import service_pb2, model_registry_pb2, mlflow_artifacts_pb2
from mlflow.utils.rest_utils import extract_api_info_for_service
out = []
for svc, prefix in ((service_pb2.MlflowService, "/api/2.0"),
                    (model_registry_pb2.ModelRegistryService, "/api/2.0"),
                    (mlflow_artifacts_pb2.MlflowArtifactsService, "/api/2.0")):
    for rpc, (path, method) in extract_api_info_for_service(svc, prefix).items():
        out.append([rpc.__name__, path, method])
print(json.dumps(out))
"""
    proc = subprocess.run([mlflow_python, "-c", script], capture_output=True, text=True, timeout=300,
                          env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert proc.returncode == 0, proc.stderr[-2000:]
    endpoints = [e for e in json.loads(proc.stdout) if not NOT_SERVED.search(e[0])]
    assert len(endpoints) >= 55
    routes = [r for r in app_client.app.routes if isinstance(r, Route)]
    missing = []
    for name, path, method in endpoints:
        concrete = re.sub(r"\{[^}]+\}", "x", path).replace("/artifacts/x", "/artifacts/0/a")
        if not any(r.matches({"type": "http", "path": concrete, "method": method})[0].value == 2
                   for r in routes):
            missing.append((name, path, method))
    assert missing == []
