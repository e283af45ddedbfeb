# JVM flags for every launch from bin/ (sourced). The Java 17 module flags are the ones spark-submit adds
# (spark-launcher JavaModuleOptions; the pom's surefire argLine has the same list). DJL stays offline and loads
# libtorch from the native jar on the classpath; see docs/operations.md "GPU clusters" for CUDA.
DIFFPURE_JVM_FLAGS="-XX:+IgnoreUnrecognizedVMOptions --add-modules=jdk.incubator.vector \
--add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.lang.invoke=ALL-UNNAMED \
--add-opens=java.base/java.lang.reflect=ALL-UNNAMED --add-opens=java.base/java.io=ALL-UNNAMED \
--add-opens=java.base/java.net=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED \
--add-opens=java.base/java.util=ALL-UNNAMED --add-opens=java.base/java.util.concurrent=ALL-UNNAMED \
--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED --add-opens=java.base/jdk.internal.ref=ALL-UNNAMED \
--add-opens=java.base/sun.nio.ch=ALL-UNNAMED --add-opens=java.base/sun.nio.cs=ALL-UNNAMED \
--add-opens=java.base/sun.security.action=ALL-UNNAMED --add-opens=java.base/sun.util.calendar=ALL-UNNAMED \
--add-opens=java.security.jgss/sun.security.krb5=ALL-UNNAMED -Dio.netty.tryReflectionSetAccessible=true \
--enable-native-access=ALL-UNNAMED \
-Dai.djl.offline=${DJL_OFFLINE:-true} -Dai.djl.pytorch.graph_optimizer=false"
export DJL_OFFLINE="${DJL_OFFLINE:-true}"
# glibc malloc for a process that repeats one batch's allocations thousands of times (docs/architecture.md "Native memory"):
# keep freed memory for reuse instead of trimming it and faulting it back in every diffusion step, and keep tensors
# below 32 MiB in the heap instead of letting the mmap threshold wander. Set either variable to override, or
# DIFFPURE_MALLOC_TUNING=0 for glibc's own behaviour.
if [[ "${DIFFPURE_MALLOC_TUNING:-1}" != 0 ]]; then
  export MALLOC_TRIM_THRESHOLD_="${MALLOC_TRIM_THRESHOLD_:-1073741824}"
  export MALLOC_MMAP_THRESHOLD_="${MALLOC_MMAP_THRESHOLD_:-33554432}"
fi
export OPT_OUT_TRACKING=true
export SPARK_LOCAL_IP="${SPARK_LOCAL_IP:-127.0.0.1}"
