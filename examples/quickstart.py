"""Log a run with params, metrics, a file, a directory, text, a dict, an image and a figure.

Run it in any directory: everything goes to ./archivist/ (SQLite + content-addressed blobs).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

import archivist


def main() -> None:
    archivist.set_experiment("quickstart")
    with archivist.start_run(run_name="quickstart") as run:
        archivist.log_params({"lr": 0.1, "epochs": 5, "optimizer": "sgd"})
        for epoch in range(5):
            archivist.log_metrics({"loss": 1.0 / (epoch + 1), "acc": 0.6 + 0.07 * epoch}, step=epoch)

        with tempfile.TemporaryDirectory() as tmp:
            features = Path(tmp, "features.txt")
            features.write_text("rooms, zipcode, median_price, school_rating, transport\n")
            archivist.log_artifact(features)  # a file

            reports = Path(tmp, "reports")
            reports.mkdir()
            for i in range(3):
                (reports / f"fold_{i}.csv").write_text("y_true,y_pred\n1,1\n0,1\n")
            archivist.log_artifacts(reports, artifact_path="reports")  # a directory

        archivist.log_text("Trained on the toy data set.", "notes/summary.txt")
        archivist.log_dict({"model": "linear", "layers": [8, 4]}, "config.yaml")
        gradient = np.linspace(0, 1, 64 * 64 * 3).reshape(64, 64, 3)
        archivist.log_image(gradient, "images/gradient.png")
        fig, ax = plt.subplots()
        ax.plot([0, 1, 2, 3, 4], [1.0, 0.5, 0.33, 0.25, 0.2])
        ax.set_title("loss")
        archivist.log_figure(fig, "plots/loss.png")
        plt.close(fig)

    run_id = run.info.run_id
    client = archivist.ArchivistClient()
    print(f"run {run_id} ({run.info.run_name}) finished in experiment 'quickstart'")
    print(f"metadata: {client.location.db_uri}")
    print(f"artifact bytes (content-addressed): {client.location.artifact_root}")
    print("artifacts:")
    for entry in client.artifact_store.entries(run_id):
        print(f"  {entry.path:28} {entry.size:>8} bytes  {entry.digest[:23]}…")
    print("look at them with:")
    print(f"  archivist runs show {run_id}")
    print(f"  archivist artifacts download {run_id} -d ./downloaded")
    print("  archivist verify")


if __name__ == "__main__":
    main()
