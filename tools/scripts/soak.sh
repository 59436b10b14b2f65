#!/usr/bin/env bash
# Soak test (not part of CI): continuous inference on one model for N minutes, sampling heap in use
# (after a GC hint) and the JVM's thread count every 10 s; prints the table and a verdict (FLAT or
# NOT FLAT) and exits 0 or 1 accordingly.
#   tools/scripts/soak.sh [MODEL] [MINUTES] [--threads N] [--workers W] [--interval S] [--warmup S]
# Defaults: models/mobilenet_v2.onnx, 10 minutes, 1 request thread, 1 intra-op thread.
# Environment: JAVA_HOME selects the JDK; SOAK_JAVA_OPTS adds JVM options (e.g. -Xmx512m).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
jar="$root/tools/target/bnfold.jar"
java="${JAVA_HOME:+$JAVA_HOME/bin/}java"
model="${1:-$root/models/mobilenet_v2.onnx}"
minutes="${2:-10}"
shift $(( $# < 2 ? $# : 2 ))

if [ ! -f "$jar" ]; then
  echo "soak: building $jar..." >&2
  (cd "$root" && mvn -q -B -pl tools -am package -DskipTests -Dspotless.check.skip=true) >&2
fi
exec "$java" --add-modules jdk.incubator.vector ${SOAK_JAVA_OPTS:-} -cp "$jar" \
  dev.bnfold.bench.Soak "$model" "$minutes" "$@" 2> >(grep -v '^WARNING: Using incubator modules' >&2)
