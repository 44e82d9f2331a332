"""The screening matcher on OpenSanctions' name sets: name_bench_cases (threshold chosen there) and the
UN-sanctions perturbed names (reported at that threshold). See bench/evaluations/names.py.

Usage: .venv/bin/python bench/eval_names.py [datasets folder]   (default ../shared/datasets)
Prints the figures the README quotes and writes bench/results/names.json.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository, for bench.evaluations

from bench.evaluations.names import evaluate

HERE = Path(__file__).resolve().parent


def _row(name: str, m: dict) -> str:
    return f"| {name} | {m['threshold']} | {m['precision']:.3f} | {m['recall']:.3f} | {m['f1']:.3f} |"


if __name__ == "__main__":
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE.parents[1] / "shared" / "datasets"
    res = evaluate(root)
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "names.json").write_text(json.dumps(res, indent=1, ensure_ascii=False))
    b, u = res["bench_cases"], res["un"]
    print(f"shipped threshold {res['threshold']} (best F1 on the bench cases: {b['best_f1_threshold']})")
    print("| set | threshold | precision | recall | F1 |")
    print("|---|---|---|---|---|")
    print(_row(f"name_bench_cases ({b['pairs']} pairs; threshold chosen here)", b["at_shipped_threshold"]))
    print(_row("name_bench_cases, at precision >= 0.95", b["recall_at_p95"]))
    for mode in ("names_only", "with_country_and_birth_year"):
        print(_row(f"UN {u['names']} names screened against the list, {mode}", u[mode]["at_threshold"]))
        print(_row(f"UN, {mode}, at precision >= 0.95", u[mode]["recall_at_p95"]))
    print(f"UN: {u['identical_spellings']} of {u['names']} treated names are spelled as the listed one; "
          f"blocking proposed the true row for {u['names_only']['true_rows_proposed']}; recall of the "
          f"{u['names'] - u['identical_spellings']} perturbed spellings at the threshold: "
          f"{u['names_only']['recall_of_perturbed_spellings']:.3f} (names only), "
          f"{u['with_country_and_birth_year']['recall_of_perturbed_spellings']:.3f} (with qualifiers)")
    for k, m in b["by_schema_at_shipped"].items():
        print(f"  bench {k}: P {m['precision']:.3f} R {m['recall']:.3f} F1 {m['f1']:.3f} "
              f"(tp {m['tp']}, fp {m['fp']})")
