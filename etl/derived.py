"""Tables derived once per snapshot by the ETL (the write side); the read
side only reads them (data/questions/trends.py)."""
from __future__ import annotations

from data.schema import MONTH_STATS, NATION_SCOPE, NATIONAL_SUMMARY_MONTHS, TREND_SUMMARY_MONTHS, VIEW_SUMMARY_VERSION


def build_trend_summary(con) -> None:
    """Rebuild ``trend_summary`` from ``operations`` and ``sources`` (run after
    the ``sources`` table is refreshed; in the caller's transaction)."""
    con.execute("DELETE FROM trend_summary")
    con.execute(f"""
        INSERT INTO trend_summary
        WITH windows AS (
            SELECT source, data_date AS d,
                   CAST(date_trunc('month', data_date) - INTERVAL {TREND_SUMMARY_MONTHS - 1} MONTH AS DATE) AS first
            FROM sources WHERE source IN ('spor', 'ncr') AND data_date IS NOT NULL
        )
        SELECT o.kva_grupp, o.source,
               CASE WHEN grouping(o.region_kod) = 1 THEN '{NATION_SCOPE}' ELSE o.region_kod END,
               year(o.operation_datum) AS y, month(o.operation_datum) AS m, {MONTH_STATS}
        FROM operations o JOIN windows w
          ON o.source = w.source AND o.operation_datum >= w.first AND o.operation_datum <= w.d
        WHERE NOT o.akut
        GROUP BY GROUPING SETS ((o.kva_grupp, o.source, o.region_kod, y, m), (o.kva_grupp, o.source, y, m))
        ORDER BY 1, 2, 3, 4, 5
    """)
    # The marker the read side checks (a snapshot from before this table has none).
    con.execute("DELETE FROM snapshot_info WHERE key = 'trend_summary_months'")
    con.execute("INSERT INTO snapshot_info VALUES ('trend_summary_months', ?)", [str(TREND_SUMMARY_MONTHS)])


def build_view_summaries(con) -> None:
    """Rebuild the summaries of Nationell utveckling and Regional kapacitet
    (national_months, region_windows, flow_counts, vtd_region_months) from
    ``operations``, ``vtd`` and ``sources``, in the caller's transaction: the same statistics the read side
    would compute (data/questions/national.py, capacity.py), once per snapshot."""
    for table in ("national_months", "region_windows", "flow_counts", "vtd_region_months"):
        con.execute(f"DELETE FROM {table}")
    con.execute(f"""
        INSERT INTO national_months
        WITH windows AS (
            SELECT source, data_date AS d,
                   CAST(date_trunc('month', data_date) - INTERVAL {NATIONAL_SUMMARY_MONTHS - 1} MONTH AS DATE) AS first
            FROM sources WHERE source IN ('spor', 'ncr') AND data_date IS NOT NULL
        )
        SELECT o.source, CASE WHEN grouping(o.kva_grupp) = 1 THEN '*' ELSE o.kva_grupp END,
               year(o.operation_datum) AS y, month(o.operation_datum) AS m, {MONTH_STATS}
        FROM operations o JOIN windows w
          ON o.source = w.source AND o.operation_datum >= w.first AND o.operation_datum <= w.d
        WHERE NOT o.akut
        GROUP BY GROUPING SETS ((o.source, o.kva_grupp, y, m), (o.source, y, m))
    """)
    con.execute(f"""
        INSERT INTO region_windows
        WITH windows AS (
            SELECT s.source, s.data_date AS d, p.period
            FROM sources s CROSS JOIN (SELECT unnest([30, 90, 365]) AS period) p
            WHERE s.source IN ('spor', 'ncr') AND s.data_date IS NOT NULL
        )
        SELECT o.source, CASE WHEN grouping(o.kva_grupp) = 1 THEN '*' ELSE o.kva_grupp END, w.period,
               o.region_kod, {MONTH_STATS}
        FROM operations o JOIN windows w
          ON o.source = w.source AND o.operation_datum > w.d - w.period AND o.operation_datum <= w.d
        WHERE NOT o.akut
        GROUP BY GROUPING SETS ((o.source, o.kva_grupp, w.period, o.region_kod), (o.source, w.period, o.region_kod))
    """)
    con.execute("""
        INSERT INTO flow_counts
        SELECT kva_grupp, year(operation_datum), patient_lan, region_kod, count(*)
        FROM operations WHERE NOT akut AND patient_lan IS NOT NULL
        GROUP BY ALL
    """)
    con.execute("""
        INSERT INTO vtd_region_months
        SELECT region_kod, kva_grupp, period, sum(vantande), sum(vantande_over_90),
               CASE WHEN count(nya) = count(*) THEN sum(nya) END, sum(genomforda), sum(genomforda_inom_90)
        FROM vtd WHERE fas = 2 AND kva_grupp IS NOT NULL
        GROUP BY region_kod, kva_grupp, period ORDER BY region_kod, kva_grupp, period
    """)
    con.execute("DELETE FROM snapshot_info WHERE key = 'view_summaries'")
    con.execute("INSERT INTO snapshot_info VALUES ('view_summaries', ?)", [VIEW_SUMMARY_VERSION])
