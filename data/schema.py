"""The warehouse schema: the contract between etl/ (writer) and data/ (reader).

Only etl/ writes these tables, always into a new snapshot file (see
etl/snapshot.py). The app opens the published snapshot read-only.

Derived once at load (never recomputed by readers):
- ``operations.kva_grupp``  = first three characters of ``kva_kod``
- ``operations.region_kod`` = the performing unit's region at load time
- ``operations.vantedagar`` = ``operation_datum - start_datum`` in days
- ``sources.data_date``     = latest ``operation_datum`` of the source (D in METRICS.md)

``operations`` is kept sorted by (kva_grupp, operation_datum) so that DuckDB's
zone maps let a query for one group and window read only its row groups.
"""

from data.vocabulary import TREND_MONTHS, WITHIN_DAYS  # noqa: F401  (WITHIN_DAYS: used in MONTH_STATS)

SCHEMA_VERSION = 1

# Reserved organisation number of the demo delivery: "SE0000000000" is never
# issued, so a unit whose HSA-ID starts with it is fictional. A snapshot with
# such units is labelled "Demodata" everywhere.
DEMO_HSA_PREFIX = "SE0000000000-"

DDL = [
    """
    CREATE TABLE IF NOT EXISTS snapshot_info (
        key VARCHAR PRIMARY KEY,
        value VARCHAR
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS regions (
        region_kod VARCHAR PRIMARY KEY,
        namn VARCHAR NOT NULL,
        residensstad VARCHAR,
        lat DOUBLE,
        lon DOUBLE
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS units (
        vardenhet_hsaid VARCHAR PRIMARY KEY,
        namn VARCHAR NOT NULL,
        sjukhus VARCHAR,
        region_kod VARCHAR NOT NULL,
        agarform VARCHAR NOT NULL,   -- offentlig | privat | ideburen
        ort VARCHAR,
        lat DOUBLE,
        lon DOUBLE,
        file_id INTEGER
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS kva (
        kod VARCHAR PRIMARY KEY,     -- 3-letter group or 5-character code
        titel VARCHAR NOT NULL,
        ar_grupp BOOLEAN NOT NULL,   -- true for a 3-letter group
        kalla VARCHAR,               -- 'spor' | 'ncr' for groups; NULL for codes
        inbyggd BOOLEAN NOT NULL     -- from the built-in catalogue (true) or a loaded file (false)
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS operations (
        source VARCHAR NOT NULL,          -- 'spor' | 'ncr'
        post_id VARCHAR NOT NULL,
        vardenhet_hsaid VARCHAR NOT NULL,
        region_kod VARCHAR NOT NULL,      -- derived: unit's region
        kva_kod VARCHAR NOT NULL,
        kva_grupp VARCHAR NOT NULL,       -- derived: first 3 characters
        start_datum DATE NOT NULL,        -- SPOR anmalan_datum / NCR beslut_datum
        operation_datum DATE NOT NULL,
        vantedagar INTEGER NOT NULL,      -- derived: operation_datum - start_datum
        akut BOOLEAN NOT NULL,            -- acute rows are stored, never counted in waits
        asa_klass TINYINT,                -- SPOR only
        bortre_tidsgrans VARCHAR,         -- SPOR only: 1v 2v 4v 3m 6m 12m
        anestesi VARCHAR,                 -- NCR only: topikal lokal narkos
        oga VARCHAR,                      -- NCR only: H V
        patient_lan VARCHAR,
        file_id INTEGER NOT NULL
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS vtd (
        period VARCHAR NOT NULL,          -- YYYY-MM
        vardenhet_hsaid VARCHAR NOT NULL,
        region_kod VARCHAR NOT NULL,      -- derived: unit's region
        mvo VARCHAR,
        fas TINYINT NOT NULL,             -- 1 first visit, 2 operation
        kva_grupp VARCHAR,                -- NULL for phase 1
        vantande INTEGER NOT NULL,
        vantande_over_90 INTEGER NOT NULL,
        vantande_avvikelse INTEGER,
        nya INTEGER,
        genomforda INTEGER NOT NULL,
        genomforda_inom_90 INTEGER NOT NULL,
        file_id INTEGER NOT NULL
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS sources (
        source VARCHAR PRIMARY KEY,       -- spor | ncr | vtd | vardenheter | kva
        data_date DATE,                   -- spor/ncr: max operation_datum; vtd: last day of latest period
        records BIGINT NOT NULL,
        files_loaded INTEGER NOT NULL,
        last_loaded_at TIMESTAMP
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS load_history (
        file_id INTEGER PRIMARY KEY,
        file_name VARCHAR NOT NULL,
        path VARCHAR,
        sha256 VARCHAR NOT NULL,
        kind VARCHAR NOT NULL,
        loaded_at TIMESTAMP NOT NULL,
        rows_total INTEGER NOT NULL,
        accepted INTEGER NOT NULL,
        rejected INTEGER NOT NULL,
        outcome VARCHAR NOT NULL,          -- 'loaded' | 'rejected' | 'unchanged'
        message VARCHAR,
        snapshot_id VARCHAR NOT NULL
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS rejections (
        file_id INTEGER NOT NULL,
        file_name VARCHAR NOT NULL,
        line INTEGER,                      -- 1-based line in the file (header is line 1); NULL for file-level
        column_name VARCHAR,
        value VARCHAR,
        reason VARCHAR NOT NULL            -- Swedish, shown to data stewards
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS trend_summary (
        -- derived once per snapshot (etl.derived.build_trend_summary): the unfiltered monthly
        -- statistics of every KVÅ group per region and for the nation over the
        -- 18 calendar months ending with the source's data date D, exactly what
        -- data.queries.trend() computes for those scopes (the unit page reads them)
        kva_grupp VARCHAR NOT NULL,
        source VARCHAR NOT NULL,
        scope_id VARCHAR NOT NULL,         -- region code, or 'SE' for the nation
        y INTEGER NOT NULL,
        m INTEGER NOT NULL,
        n BIGINT NOT NULL,
        q DOUBLE[] NOT NULL,               -- quantile_cont of vantedagar at [0.5, 0.9]
        a90 DOUBLE NOT NULL                -- share with vantedagar <= 90
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS national_months (
        -- derived once per snapshot (etl.derived.build_view_summaries): the national monthly
        -- statistics of every KVÅ group, and of every group of a source pooled (kva_grupp '*'),
        -- over the 48 calendar months ending with the source's data date (Nationell utveckling)
        source VARCHAR NOT NULL,
        kva_grupp VARCHAR NOT NULL,
        y INTEGER NOT NULL,
        m INTEGER NOT NULL,
        n BIGINT NOT NULL,
        q DOUBLE[] NOT NULL,
        a90 DOUBLE NOT NULL
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS region_windows (
        -- derived once per snapshot: the pooled statistics per region of every group (and of
        -- every group of a source, '*') in the windows of 30, 90 and 365 days before D
        source VARCHAR NOT NULL,
        kva_grupp VARCHAR NOT NULL,
        period INTEGER NOT NULL,
        region_kod VARCHAR NOT NULL,
        n BIGINT NOT NULL,
        q DOUBLE[] NOT NULL,
        a90 DOUBLE NOT NULL
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS vtd_region_months (
        -- derived once per snapshot: the wait-time database's operation phase (fas 2) summed
        -- per region, KVÅ group and month (nya NULL when a unit's row lacked it), sorted
        region_kod VARCHAR NOT NULL,
        kva_grupp VARCHAR NOT NULL,
        period VARCHAR NOT NULL,
        vantande BIGINT NOT NULL,
        vantande_over_90 BIGINT NOT NULL,
        nya BIGINT,
        genomforda BIGINT NOT NULL,
        genomforda_inom_90 BIGINT NOT NULL
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS flow_counts (
        -- derived once per snapshot: counted operations by group, calendar year, the
        -- patient's home county and the performing unit's region (out-of-region care)
        kva_grupp VARCHAR NOT NULL,
        ar INTEGER NOT NULL,
        patient_lan VARCHAR NOT NULL,
        region_kod VARCHAR NOT NULL,
        n BIGINT NOT NULL
    )
    """,
]

NATION_SCOPE = "SE"
TREND_SUMMARY_MONTHS = TREND_MONTHS  # the unit page reads the 18 months from trend_summary
#: national_months holds 36 months and the 12 before them (the year-earlier comparison).
NATIONAL_SUMMARY_MONTHS = 48
#: The marker of national_months, region_windows and flow_counts in snapshot_info.
VIEW_SUMMARY_VERSION = "2"
#: A trend month's statistics, in this order: n, [median, p90], share within 90 days.
MONTH_STATS = ("count(*), quantile_cont(vantedagar, [0.5, 0.9]), "
               f"avg(CASE WHEN vantedagar <= {WITHIN_DAYS} THEN 1.0 ELSE 0.0 END)")


def create_schema(con) -> None:
    """Create every table (idempotent) on an open DuckDB connection."""
    for statement in DDL:
        con.execute(statement)
