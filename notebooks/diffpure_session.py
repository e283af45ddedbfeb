"""A Spark session for the diffpure-spark notebooks, with the result tables as views.

    from diffpure_session import get_spark, wilson
    spark = get_spark()            # views: samples, runs (and rescores when present), the
                                   # metrics: sample_outcomes, accuracy (metric_views.sql), and
                                   # strongest (strongest_view.sql) after `diffpure strongest`
    spark.sql("SELECT ...").toPandas()

The metric views are the ones `diffpure sql` and the report use, generated from the metrics' one
definition (diffpure.eval.Metric) into metric_views.sql beside this file: accuracy has, per run,
setting, side (clean, robust) and metric (single, majority, mean, worst, during-attack, any,
averaged-logit), successes, samples and accuracy; wilson(successes, samples) is its interval.

Tables: DIFFPURE_TABLES (a run.output: local path, hdfs://, s3a://), default target/demo-results of
this checkout. With PySpark installed (pip install pyspark==4.2.0, or a cluster's Jupyter) the real
SparkSession is used (SPARK_MASTER or the cluster's default). Without it, the JVM is started through
JPype (Debian: python3-jpype) with the project's own Spark jars (DIFFPURE_CLASSPATH, else
jobs/target/classpath.txt + jobs/target/classes after `mvn -B package -DskipTests` or a bin/diffpure
run) and the few calls the notebooks use are wrapped: spark.sql(...), spark.read[.option(k, v)].parquet(...),
.createOrReplaceTempView, .toPandas(), .count(), .columns.
"""
import json
import math
import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The flags spark-submit adds on Java 17 (docs/operations.md, "Clusters: spark-submit, GPUs, S3").
JAVA17_FLAGS = [
    "-XX:+IgnoreUnrecognizedVMOptions",
    "--add-modules=jdk.incubator.vector",
    *("--add-opens=java.base/%s=ALL-UNNAMED" % p for p in (
        "java.lang", "java.lang.invoke", "java.lang.reflect", "java.io", "java.net", "java.nio",
        "java.util", "java.util.concurrent", "java.util.concurrent.atomic", "jdk.internal.ref",
        "sun.nio.ch", "sun.nio.cs", "sun.security.action", "sun.util.calendar")),
    "--add-opens=java.security.jgss/sun.security.krb5=ALL-UNNAMED",
    "-Dio.netty.tryReflectionSetAccessible=true",
    "--enable-native-access=ALL-UNNAMED",
]


def tables_dir():
    """The run output whose tables the notebooks read."""
    return os.environ.get("DIFFPURE_TABLES", str(ROOT / "target" / "demo-results"))


def get_spark(tables=None):
    """A SparkSession (real PySpark, else the JPype bridge) with the views registered."""
    tables = tables or tables_dir()
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        spark = _JPypeSpark()
    else:
        spark = SparkSession.builder.appName("diffpure notebooks").getOrCreate()
    register_views(spark, tables)
    return spark


def metric_view_statements(columns):
    """The statements of metric_views.sql for a samples table with these columns: a later column
    the table lacks (older schemas) is read as a typed NULL, as diffpure.jobs.report.MetricViews
    does."""
    text = (Path(__file__).resolve().parent / "metric_views.sql").read_text()
    later = _later_columns("metric_views.sql")
    body = "\n".join(line for line in text.splitlines() if not line.startswith("--"))
    statements = [s.strip() for s in body.split(";") if s.strip()]
    for name, kind in later:
        if name not in columns:
            statements = [re.sub(r"\b%s\b" % name, "CAST(NULL AS %s)" % kind, s) for s in statements]
    return statements


def _later_columns(sql_file):
    """The (name, type) pairs a generated SQL file declares as '-- later-column:' lines."""
    text = (Path(__file__).resolve().parent / sql_file).read_text()
    return re.findall(r"^-- later-column: (\w+) (\w+)$", text, flags=re.M)


def register_views(spark, tables):
    """Views samples and runs (required), rescores (when the table exists), the metric views
    sample_outcomes and accuracy over samples, and strongest over rescores (when it holds
    strongest-evidence passes)."""
    base = str(tables).rstrip("/")
    for name in ("samples", "runs", "rescores"):
        path = base + "/" + name
        if name == "rescores" and not _exists(spark, path):
            continue
        # samples, rescores: files of several schema versions keep every column (as the report
        # reads them).
        reader = spark.read.option("mergeSchema", "true") if name != "runs" else spark.read
        try:
            reader.parquet(path).createOrReplaceTempView(name)
        except Exception as e:  # noqa: BLE001 - Py4J and JPype raise their own types
            raise RuntimeError("cannot read the %s table under %s: %s" % (name, base, e)) from e
    columns = spark.table("samples").columns
    missing = [(n, k) for n, k in _later_columns("budget_curve.sql") if n not in columns]
    if missing:
        # tables older than these columns: typed NULLs, so budget_curve.sql runs on them too
        nulls = ", ".join("CAST(NULL AS %s) AS %s" % (k, n) for n, k in missing)
        spark.sql("SELECT *, %s FROM samples" % nulls).createOrReplaceTempView("samples")
        columns = spark.table("samples").columns
    for statement in metric_view_statements(columns):
        spark.sql(statement)
    if _exists(spark, base + "/rescores") and "rescore_kind" in spark.table("rescores").columns:
        text = (Path(__file__).resolve().parent / "strongest_view.sql").read_text()
        body = "\n".join(line for line in text.splitlines() if not line.startswith("--"))
        for statement in (s.strip() for s in body.split(";")):
            if statement:
                spark.sql(statement)


def _exists(spark, path):
    """Whether a Hadoop path exists (local, hdfs://, s3a://), asked through the session's JVM."""
    if isinstance(spark, _JPypeSpark):
        import jpype

        jvm_path, conf = jpype.JClass("org.apache.hadoop.fs.Path"), spark._s.sparkContext().hadoopConfiguration()
    else:
        jvm_path, conf = spark._jvm.org.apache.hadoop.fs.Path, spark._jsc.hadoopConfiguration()
    p = jvm_path(path)
    return bool(p.getFileSystem(conf).exists(p))


def wilson(successes, n, z=1.959963984540054):
    """The 95% Wilson score interval (as diffpure.eval.Interval): (low, high)."""
    if n == 0:
        return (0.0, 1.0)
    p = successes / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z / d * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (max(0.0, c - h), min(1.0, c + h))


def _classpath():
    env = os.environ.get("DIFFPURE_CLASSPATH")
    if env:
        entries = env.split(os.pathsep)
    else:
        cp = ROOT / "jobs" / "target" / "classpath.txt"
        if not cp.exists():
            raise RuntimeError(
                "no pyspark and no %s: build once with `mvn -B package -DskipTests` (or run"
                " bin/diffpure), set DIFFPURE_CLASSPATH, or pip install pyspark==4.2.0" % cp)
        entries = [str(ROOT / "jobs" / "target" / "classes")] + cp.read_text().strip().split(os.pathsep)
    # Debian's python3-jpype needs its support jar on the JVM's classpath.
    for jar in ("/usr/share/java/org.jpype.jar",):
        if os.path.exists(jar):
            entries.append(jar)
    return entries


class _JPypeSpark:
    """The SparkSession calls the notebooks use, on a JVM started through JPype."""

    def __init__(self):
        import jpype

        if not jpype.isJVMStarted():
            # Spark logs through slf4j-simple; keep its warnings out of the cells.
            jpype.startJVM(*JAVA17_FLAGS, "-Xmx2g", "-Dspark.ui.enabled=false",
                           "-Dorg.slf4j.simpleLogger.defaultLogLevel=error",
                           classpath=_classpath(), convertStrings=True)
        session = jpype.JClass("org.apache.spark.sql.SparkSession")
        self._s = (session.builder()
                   .master(os.environ.get("SPARK_MASTER", "local[2]"))
                   .appName("diffpure notebooks")
                   .config("spark.ui.enabled", "false")
                   .config("spark.sql.shuffle.partitions", "2")
                   .getOrCreate())
        self.read = _Reader(self._s)

    def sql(self, query):
        return _DataFrame(self._s.sql(query))

    def table(self, name):
        return _DataFrame(self._s.table(name))

    def stop(self):
        self._s.stop()


class _Reader:
    def __init__(self, s, options=None):
        self._s = s
        self._options = dict(options or {})

    def option(self, key, value):
        return _Reader(self._s, {**self._options, key: str(value)})

    def parquet(self, path):
        reader = self._s.read()
        for key, value in self._options.items():
            reader = reader.option(key, value)
        return _DataFrame(reader.parquet(path))


class _DataFrame:
    def __init__(self, df):
        self._df = df

    @property
    def columns(self):
        return [str(c) for c in self._df.columns()]

    def createOrReplaceTempView(self, name):
        self._df.createOrReplaceTempView(name)

    def count(self):
        return int(self._df.count())

    def toPandas(self):
        import pandas as pd

        rows = [json.loads(str(s)) for s in self._df.toJSON().collectAsList()]
        return pd.DataFrame(rows, columns=self.columns)
