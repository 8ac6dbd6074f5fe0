"""The /api/v1 requests whose JSON answers on the fixed small demo (seed 7,
end date 2026-11-20) are kept in tests/data/api_golden.json.gz, captured
before the API was rebuilt on the shared table definitions: the rebuilt
API must answer every one of them field for field the same."""
GROUPS = ("NGB", "NFB", "JAB", "LEF", "PHB", "JKA", "NCJ", "CJC", "CJE", "ZZZ")
SPOR_FILTERS = ("", "&asa=3", "&asa=1,2", "&asa=3,4", "&asa=1,2,3,4,5,6", "&prio=3m,6m", "&asa=2,3&prio=12m")
NCR_FILTERS = ("", "&narkos=1", "&narkos=0")

CASES = []
for kva in GROUPS:
    filters = NCR_FILTERS if kva.startswith("CJ") else SPOR_FILTERS
    for period in (30, 90, 365):
        for level in ("unit", "region"):
            for f in filters:
                CASES.append(f"/api/v1/waits?kva={kva}&period={period}&level={level}{f}")
    for f in filters:
        CASES.append(f"/api/v1/trend?kva={kva}{f}")
        CASES.append(f"/api/v1/trend?kva={kva}&region=01{f}")
        CASES.append(f"/api/v1/trend?kva={kva}&region=07{f}")
CASES += ["/api/v1/meta", "/api/v1/kva?q=knä", "/api/v1/kva?q=NGB", "/api/v1/kva?q=gråstarr&limit=5",
          "/api/v1/waits?kva=NGB&asa=1,2,3,4,5,6&period=365&level=region",
          "/api/v1/waits?kva=NGB&period=7", "/api/v1/waits?kva=CJC&asa=3", "/api/v1/trend?kva=NGB&unit=SE0000000000-X"]
