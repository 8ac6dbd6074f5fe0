"""Tables derived once per snapshot by the ETL (the write side); the read
side only reads them (data/questions/trends.py)."""
from __future__ import annotations

from data.schema import MONTH_STATS, NATION_SCOPE, TREND_SUMMARY_MONTHS


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
