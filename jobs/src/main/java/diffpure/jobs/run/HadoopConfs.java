package diffpure.jobs.run;

import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkEnv;
import scala.Tuple2;

/** Hadoop configurations on executors, where Spark's own is not handed to user code. */
public final class HadoopConfs {
    private HadoopConfs() {}

    /**
     * A configuration with this JVM's {@code spark.hadoop.*} settings (s3a endpoint and credentials
     * passed with --conf), as Spark builds its own; a plain one outside Spark.
     */
    public static Configuration fromSparkEnv() {
        Configuration conf = new Configuration();
        SparkEnv env = SparkEnv.get();
        if (env != null) {
            SparkConf sc = env.conf();
            for (Tuple2<String, String> kv : sc.getAll()) {
                if (kv._1().startsWith("spark.hadoop.")) {
                    conf.set(kv._1().substring("spark.hadoop.".length()), kv._2());
                }
            }
        }
        return conf;
    }
}
