"""Review an intended change of the kept API answers: what differs between two
golden files (tests/data/api_golden.json.gz and one written with
LAGESBILD_WRITE_GOLDEN), counted by kind. Rows are matched by id.

    python tests/golden_diff.py tests/data/api_golden.json.gz /tmp/new.json.gz
"""
import gzip, json, sys
old = json.loads(gzip.decompress(open(sys.argv[1],'rb').read()))
new = json.loads(gzip.decompress(open(sys.argv[2],'rb').read()))
from collections import Counter
kinds = Counter()
def walk(a, b, path):
    if isinstance(a, dict) and isinstance(b, dict):
        for k in set(a) | set(b):
            if k not in a:
                kinds[f"added key {k}={b[k]!r}" if k!="n_suppressed" or b[k] is False else "added n_suppressed=True"] += 1
            elif k not in b:
                kinds[f"removed key {k}"] += 1
            else:
                walk(a[k], b[k], path + [k])
    elif isinstance(a, list) and isinstance(b, list) and a and isinstance(a[0], dict) and "id" in a[0]:
        bi = {y["id"]: y for y in b}
        if [x["id"] for x in a] != [y["id"] for y in b]:
            kinds["row order changed"] += 1
        for x in a:
            walk(x, bi.get(x["id"]), path)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for x, y in zip(a, b):
            walk(x, y, path)
    elif a != b:
        kinds[f"{path[-1] if path else ''}: {type(a).__name__} -> {b!r}" if b is None else f"{path}: {a!r}->{b!r}"] += 1
for url in old:
    walk(old[url], new[url], [url.split('?')[0]])
for k, v in kinds.most_common(40):
    print(v, k)
