"""A hyperparameter sweep as nested runs; the best child is found by search and registered."""
import mlflow
import mlflow.sklearn
from sklearn.datasets import load_wine
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import train_test_split

X, y = load_wine(return_X_y=True)
X_tr, X_te, y_tr, y_te = train_test_split(X, y, random_state=0)
exp = mlflow.set_experiment("sweep")
with mlflow.start_run(run_name="parent") as parent:
    for depth in (1, 3, 5):
        with mlflow.start_run(run_name=f"depth-{depth}", nested=True):
            clf = RandomForestClassifier(n_estimators=10, max_depth=depth, random_state=0)
            clf.fit(X_tr, y_tr)
            mlflow.log_param("max_depth", depth)
            mlflow.log_metric("test_acc", clf.score(X_te, y_te))
            mlflow.sklearn.log_model(clf, name="model")

children = mlflow.search_runs(
    [exp.experiment_id],
    filter_string=f"tags.mlflow.parentRunId = '{parent.info.run_id}'",
    order_by=["metrics.test_acc DESC", "params.max_depth ASC"],
    output_format="list",
)
assert len(children) == 3
best = children[0]
assert best.data.metrics["test_acc"] >= children[-1].data.metrics["test_acc"]
assert mlflow.get_parent_run(best.info.run_id).info.run_id == parent.info.run_id
mv = mlflow.register_model(f"runs:/{best.info.run_id}/model", "wine-classifier")
assert str(mv.version) == "1"
model = mlflow.pyfunc.load_model("models:/wine-classifier/1")
assert len(model.predict(X_te[:5])) == 5
