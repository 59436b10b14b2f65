#!/usr/bin/env python3
"""Turn ModelLatencyBenchmark JSON results (jmh -rf json) into the README's latency table.

    /usr/bin/python3 tools/scripts/jmh_table.py jdk17.json [jdk25.json ...]

Prints one Markdown table per file: model x threads, the bnfold and ONNX Runtime medians
(p0.50 of JMH's SampleTime mode) and their ratio, plus the Java runtime's 2-thread speed-up
where both thread counts were measured.
"""
import json
import sys


def medians(path):
    rows = {}
    jdk = None
    for r in json.load(open(path)):
        if not r["benchmark"].endswith(("ModelLatencyBenchmark.bnfold", "ModelLatencyBenchmark.onnxRuntime")):
            continue
        jdk = r.get("jdkVersion", jdk)
        engine = r["benchmark"].rsplit(".", 1)[1]
        key = (r["params"]["model"], int(r["params"]["threads"]))
        rows.setdefault(key, {})[engine] = r["primaryMetric"]["scorePercentiles"]["50.0"]
    return jdk, rows


def main(paths):
    for path in paths:
        jdk, rows = medians(path)
        print(f"JDK {jdk} ({path}), batch 1, medians in ms:\n")
        print("| model | threads | bnfold | ONNX Runtime | ratio | bnfold 2-thread speed-up |")
        print("|---|---:|---:|---:|---:|---:|")
        models = []
        for m, _ in rows:
            if m not in models:
                models.append(m)
        for m in models:
            for t in sorted(t for mm, t in rows if mm == m):
                r = rows[(m, t)]
                b, o = r.get("bnfold"), r.get("onnxRuntime")
                ratio = f"{b / o:.2f}" if b and o else "-"
                one = rows.get((m, 1), {}).get("bnfold")
                speedup = f"{one / b:.2f}x" if t > 1 and one and b else ""
                fmt = lambda v: f"{v:.3f}" if v is not None else "-"
                print(f"| {m} | {t} | {fmt(b)} | {fmt(o)} | {ratio} | {speedup} |")
        print()


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
