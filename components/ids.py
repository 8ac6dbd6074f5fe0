"""Component ids, in one place (pages, callbacks and browser tests use these)."""

# shell
HEADER = "lb-header"
NAV = "lb-nav"
NAV_TOGGLE = "lb-nav-toggle"
DATA_DATES = "lb-data-dates"
DEMO_BADGE = "lb-demo"
USER_NAME = "lb-user-name"
LOGOUT = "lb-logout"

# Jämför enheter
JF_KVA = "jf-kva"
JF_PERIOD = "jf-period"
JF_LEVEL = "jf-level"
JF_ASA = "jf-asa"
JF_PRIO = "jf-prio"
JF_NARKOS = "jf-narkos"
JF_HEM = "jf-hem"
JF_SPOR_FILTERS = "jf-spor-filters"
JF_NCR_FILTERS = "jf-ncr-filters"
JF_GRID = "jf-grid"
JF_SOURCE = "jf-source"
JF_EMPTY = "jf-empty"
JF_LEGEND = "jf-legend"
JF_STATE = "jf-state"          # dcc.Store: the view state as a query string
JF_URL_SINK = "jf-url-sink"    # dummy output of the clientside history.replaceState
JF_DL_CSV = "jf-dl-csv"
JF_DL_XLSX = "jf-dl-xlsx"
JF_DOWNLOAD = "jf-download"
JF_COPY_LINK = "jf-copy-link"
JF_COPY_STATUS = "jf-copy-status"
JF_COUNT = "jf-count"
JF_EXPECTED = "jf-forvantad"         # the optional expected-wait column
JF_GRID_FILTER = "jf-grid-filter"   # the grid's own column filters in words

# Enhet
EH_KVA = "eh-kva"
EH_TREND = "eh-trend"
EH_TREND_TABLE = "eh-trend-table"
EH_SOURCE = "eh-source"
EH_MIX = "eh-mix"
EH_CASEMIX = "eh-casemix"
EH_VTD = "eh-vtd"
EH_BACK = "eh-back"
EH_URL_SINK = "eh-url-sink"
