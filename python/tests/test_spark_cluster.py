"""clv.spark on a real standalone cluster on 127.0.0.1 (a master and two workers, started and
stopped here with Spark's own classes from the pyspark package): the job gives the native
results, and a worker killed in the middle of a scoring job does not lose or double a customer
(Spark runs the lost tasks again)."""

import json
import os
import signal
import socket
import subprocess
import threading
import time
import urllib.request
from pathlib import Path

import pandas as pd
import pytest

import clv
from clv import spark as cs
from spark_checks import assert_same_summary, by_customer, fits_and_scores_agree

CAL = "1997-09-30"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def alive_workers(ui_port: int) -> list:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{ui_port}/json/", timeout=2) as r:
            state = json.load(r)
    except OSError:
        return []
    return [w for w in state.get("workers", []) if w.get("state") == "ALIVE"]


class Cluster:
    """A master and two one-core workers, each in a process group of its own so that a worker
    is killed with its executor and that executor's Python workers."""

    def __init__(self, work: Path) -> None:
        from pyspark.find_spark_home import _find_spark_home

        home = _find_spark_home()
        self.spark_class = str(Path(home, "bin", "spark-class"))
        self.env = dict(os.environ, SPARK_HOME=home, SPARK_LOCAL_IP="127.0.0.1",
                        SPARK_LOG_DIR=str(work), SPARK_NO_DAEMONIZE="1")
        self.port, self.ui_port = free_port(), free_port()
        self.url = f"spark://127.0.0.1:{self.port}"
        self.work = work
        self.processes = []
        self.workers = []

    def _start(self, name: str, *args: str) -> subprocess.Popen:
        log = (self.work / f"{name}.log").open("w")
        p = subprocess.Popen([self.spark_class, *args], env=self.env, stdout=log,
                             stderr=subprocess.STDOUT, start_new_session=True)
        self.processes.append(p)
        return p

    def start(self) -> None:
        self._start("master", "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
                    "--port", str(self.port), "--webui-port", str(self.ui_port))
        for i in range(2):
            work_dir = self.work / f"worker{i}"
            work_dir.mkdir()
            self.workers.append(self._start(
                f"worker{i}", "org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1",
                "--cores", "1", "--memory", "1g", "--webui-port", str(free_port()),
                "--work-dir", str(work_dir), self.url))
        deadline = time.monotonic() + 120
        while len(alive_workers(self.ui_port)) < 2:
            if time.monotonic() > deadline or any(p.poll() is not None for p in self.processes):
                logs = {f.name: f.read_text()[-2000:] for f in self.work.glob("*.log")}
                raise RuntimeError(f"the cluster did not come up: {logs}")
            time.sleep(0.5)

    def kill_worker(self, i: int) -> None:
        os.killpg(self.workers[i].pid, signal.SIGKILL)
        self.workers[i].wait()

    def stop(self) -> None:
        for p in reversed(self.processes):
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in self.processes:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()


@pytest.fixture(scope="module")
def spark_cluster(tmp_path_factory):
    if os.environ.get("CI") != "true":
        pytest.importorskip("pyspark", reason="needs pyspark (the clv[spark] extra)")
    from conftest import spark_builder

    cluster = Cluster(tmp_path_factory.mktemp("spark-cluster"))
    try:
        cluster.start()
        session = (spark_builder(cluster.url, "clv-cluster-tests")
                   .config("spark.executor.memory", "512m").config("spark.executor.cores", "1")
                   .config("spark.cores.max", "2").getOrCreate())
        try:
            yield session, cluster
        finally:
            session.stop()
    finally:
        cluster.stop()


@pytest.fixture(scope="module")
def cdnow(spark_cluster):
    from conftest import _required_path

    path = _required_path("CLV_DATASETS", "cdnow_master.csv")
    tx = pd.read_csv(path, dtype={"customer_id": str}, float_precision="round_trip")
    return tx, clv.summarize(tx, calibration_end=CAL, extra_cols=[])


def test_the_job_on_a_standalone_cluster_gives_the_native_results(spark_cluster, cdnow):
    session, _ = spark_cluster
    assert session.sparkContext.master.startswith("spark://127.0.0.1:")
    tx, native = cdnow
    summary, accounting = cs.summarize(session.createDataFrame(tx), calibration_end=CAL,
                                       extra_cols=[])
    assert accounting.rows_used == len(tx)
    assert_same_summary(summary, native)
    fits_and_scores_agree(summary.cache(), native)


def test_a_worker_killed_mid_scoring_loses_and_doubles_no_customer(spark_cluster, cdnow):
    session, cluster = spark_cluster
    _, native = cdnow
    bgf = clv.BGNBD().fit(native)
    ggf = clv.GammaGamma().fit(native)

    def slowly(batches):
        # Long enough tasks that the kill lands while tasks are running on both workers.
        for b in batches:
            time.sleep(0.4)
            yield b

    customers = session.createDataFrame(native[["customer_id", "frequency", "recency", "T",
                                                "monetary_value"]]).repartition(30)
    slowed = customers.mapInPandas(slowly, customers.schema)
    result, failure = {}, []

    def run():
        try:
            result["scores"] = cs.score(slowed, bgf, ggf, horizon=39.0).toPandas()
        except Exception as e:  # reported by the assertion below
            failure.append(e)

    job = threading.Thread(target=run)
    job.start()
    tracker = session.sparkContext.statusTracker()
    deadline = time.monotonic() + 300
    killed_mid_job = False
    while job.is_alive() and time.monotonic() < deadline:
        stages = [tracker.getStageInfo(s) for s in tracker.getActiveStageIds()]
        stages = [s for s in stages if s is not None and s.numTasks == 30]
        if any(s.numCompletedTasks >= 4 and s.numActiveTasks > 0 for s in stages):
            cluster.kill_worker(1)
            killed_mid_job = job.is_alive()
            break
        time.sleep(0.1)
    job.join(timeout=600)
    assert killed_mid_job, "the scoring job ended before a worker could be killed"
    assert not failure, failure
    scores = by_customer(result["scores"])
    assert len(scores) == len(native)
    assert scores["customer_id"].is_unique
    assert set(scores["customer_id"]) == set(native["customer_id"])
    want = by_customer(native)
    predicted = bgf.predict(want, 39.0, spend_model=ggf, output="numpy")
    assert (scores["p_alive"].to_numpy() == predicted["p_alive"]).all()
