"""Prints the online run's weights per batch (the four largest features) from its --metrics --trace-weights file,
as seed 000 printed the model after each micro-batch. Usage: show_weights.py METRICS.jsonl"""
import json
import sys

for line in open(sys.argv[1]):
    d = json.loads(line)
    w = d.get("weights", {})
    top = sorted(((k, v) for k, v in w.items() if not k.startswith("_")), key=lambda kv: -abs(kv[1]))[:4]
    print(f"batch {d['batch']:3d}  records {d['records']:7d}  rmse {d['batch_metrics'].get('rmse', float('nan')):.3f}  "
          + "  ".join(f"{k}={v:+.3f}" for k, v in top))
