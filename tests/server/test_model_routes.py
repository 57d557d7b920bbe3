"""Logged models and the registry through the REST API, in process."""

from __future__ import annotations

from server_support import InProcess


def _model(app_client: InProcess, name: str = "model", **extra: object) -> dict[str, object]:
    body = {"experiment_id": "0", "name": name, **extra}
    return app_client.api("POST", "logged-models", body)["model"]  # type: ignore[no-any-return]


def test_logged_model_lifecycle(app_client: InProcess) -> None:
    run_id = app_client.api("POST", "runs/create", {"experiment_id": "0"})["run"]["info"]["run_id"]
    model = _model(app_client, source_run_id=run_id, model_type="sklearn",
                   params=[{"key": "lr", "value": "0.1"}], tags=[{"key": "t", "value": "1"}])
    info = model["info"]  # type: ignore[index]
    mid = info["model_id"]
    assert info["status"] == "LOGGED_MODEL_PENDING" and info["source_run_id"] == run_id
    app_client.api("POST", f"logged-models/{mid}/params", {"model_id": mid,
                                                           "params": [{"key": "depth", "value": "3"}]})
    app_client.api("PATCH", f"logged-models/{mid}/tags", {"tags": [{"key": "u", "value": "2"}]})
    app_client.api("DELETE", f"logged-models/{mid}/tags/t")
    done = app_client.api("PATCH", f"logged-models/{mid}", {"model_id": mid, "status": "LOGGED_MODEL_READY"})
    assert done["model"]["info"]["status"] == "LOGGED_MODEL_READY"
    got = app_client.api("GET", f"logged-models/{mid}")["model"]
    assert {p["key"]: p["value"] for p in got["data"]["params"]} == {"lr": "0.1", "depth": "3"}
    assert got["info"]["tags"] == [{"key": "u", "value": "2"}]
    other = _model(app_client, name="other")["info"]["model_id"]  # type: ignore[index]
    found = app_client.api("POST", "logged-models/search",
                           {"experiment_ids": ["0"], "filter": "name = 'model'"})["models"]
    assert [m["info"]["model_id"] for m in found] == [mid]
    both = app_client.api("POST", "logged-models/search", {
        "experiment_ids": ["0"], "order_by": [{"field_name": "name", "ascending": True}],
        "max_results": 1})
    assert [m["info"]["name"] for m in both["models"]] == ["model"] and both["next_page_token"]
    by_tag = app_client.api("POST", "logged-models/search", {
        "experiment_ids": ["0"], "filter": "tags.u = '2' AND params.lr = '0.1' AND name LIKE 'mo%'"})
    assert [m["info"]["model_id"] for m in by_tag["models"]] == [mid]
    bad = app_client.api("POST", "logged-models/search",
                         {"experiment_ids": ["0"], "filter": "nonsense ~ 1"}, expect=400)
    assert bad["error_code"] == "INVALID_PARAMETER_VALUE"
    app_client.api("DELETE", f"logged-models/{other}", {"model_id": other})
    app_client.api("GET", f"logged-models/{other}", expect=404)
    assert app_client.api("GET", f"logged-models/{other}", {"allow_deleted": "true"})["model"]
    bad_status = app_client.api("PATCH", f"logged-models/{mid}", {"status": "BOGUS"}, expect=400)
    assert "LOGGED_MODEL_READY" in bad_status["message"]


def test_registry_versions_aliases_tags_and_download_uri(app_client: InProcess) -> None:
    mid = _model(app_client)["info"]["model_id"]  # type: ignore[index]
    app_client.api("POST", "registered-models/create", {"name": "iris", "description": "d"})
    dup = app_client.api("POST", "registered-models/create", {"name": "iris"}, expect=400)
    assert dup["error_code"] == "RESOURCE_ALREADY_EXISTS"
    mv = app_client.api("POST", "model-versions/create",
                        {"name": "iris", "source": f"models:/{mid}", "model_id": mid})["model_version"]
    assert mv["version"] == "1" and mv["status"] == "READY"
    uri = app_client.api("GET", "model-versions/get-download-uri", {"name": "iris", "version": "1"})
    assert uri["artifact_uri"] == f"mlflow-artifacts:/0/models/{mid}/artifacts"
    app_client.api("POST", "registered-models/alias", {"name": "iris", "alias": "champ", "version": "1"})
    by_alias = app_client.api("GET", "registered-models/alias", {"name": "iris", "alias": "champ"})
    assert by_alias["model_version"]["version"] == "1"
    app_client.api("POST", "model-versions/set-tag", {"name": "iris", "version": "1", "key": "k", "value": "v"})
    app_client.api("DELETE", "model-versions/delete-tag", {"name": "iris", "version": "1", "key": "k"})
    app_client.api("POST", "registered-models/set-tag", {"name": "iris", "key": "team", "value": "ml"})
    prompt_filter = "tags.`mlflow.prompt.is_prompt` != 'true'"
    found = app_client.api("GET", "registered-models/search", {"filter": prompt_filter, "max_results": 10})
    assert [m["name"] for m in found["registered_models"]] == ["iris"]
    found = app_client.api("GET", "registered-models/search",
                           {"filter": f"name LIKE 'ir%' AND {prompt_filter}"})
    assert [m["name"] for m in found["registered_models"]] == ["iris"]
    versions = app_client.api("GET", "model-versions/search", {"filter": "name='iris'"})
    assert [v["version"] for v in versions["model_versions"]] == ["1"]
    app_client.api("PATCH", "model-versions/update", {"name": "iris", "version": "1", "description": "x"})
    app_client.api("POST", "model-versions/transition-stage",
                   {"name": "iris", "version": "1", "stage": "Staging", "archive_existing_versions": False})
    latest = app_client.api("POST", "registered-models/get-latest-versions", {"name": "iris"})
    assert latest["model_versions"][0]["current_stage"] == "Staging"
    app_client.api("DELETE", "registered-models/alias", {"name": "iris", "alias": "champ"})
    app_client.api("POST", "registered-models/rename", {"name": "iris", "new_name": "iris2"})
    app_client.api("PATCH", "registered-models/update", {"name": "iris2", "description": "new"})
    app_client.api("DELETE", "model-versions/delete", {"name": "iris2", "version": "1"})
    app_client.api("DELETE", "registered-models/delete-tag", {"name": "iris2", "key": "team"})
    app_client.api("DELETE", "registered-models/delete", {"name": "iris2"})
    gone = app_client.api("GET", "registered-models/get", {"name": "iris2"}, expect=404)
    assert gone["error_code"] == "RESOURCE_DOES_NOT_EXIST"


def test_version_from_a_run_artifact_path(app_client: InProcess) -> None:
    run_id = app_client.api("POST", "runs/create", {"experiment_id": "0"})["run"]["info"]["run_id"]
    app_client.api("POST", "registered-models/create", {"name": "r"})
    mv = app_client.api("POST", "model-versions/create",
                        {"name": "r", "source": f"runs:/{run_id}/model", "run_id": run_id})
    assert mv["model_version"]["source"] == f"runs:/{run_id}/model"
    uri = app_client.api("GET", "model-versions/get-download-uri", {"name": "r", "version": "1"})
    assert uri["artifact_uri"] == f"mlflow-artifacts:/0/{run_id}/artifacts/model"
