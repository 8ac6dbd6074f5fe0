"""The read side's index: every question's functions and types under one
name, for callers that ask several (``from data import queries``). Each is
defined once, in its question module under data/questions/; the shared
constants are data/vocabulary.py, the parameters data/params.py.
"""
from __future__ import annotations

from data.params import NO_FILTERS, FilterNotApplicable, Filters, ParamError  # noqa: F401
from data.questions.catalogue import kva_search, meta, towns  # noqa: F401
from data.questions.lookups import (QueryError, data_date, data_dates, group_titles,  # noqa: F401
                                    groups_with_data, has_trend_summary, is_demo, json_safe, known_group,
                                    kva_title, latest_operations, normalise_kva, per_snapshot, records,
                                    region_names, region_table, source_for, to_date, unit_catalogue, unit_ids)
from data.questions.trends import TrendResult, trend, trend_months, unit_trends  # noqa: F401
from data.questions.unit import (CASE_MIX_DIMENSIONS, unit_case_mix, unit_group_mix, unit_groups,  # noqa: F401
                                 unit_info)
from data.questions.vtd import unit_vtd, vtd_measures, vtd_monthly  # noqa: F401
from data.questions.waits import (REGION_ROW_COLUMNS, UNIT_ROW_COLUMNS, WaitsResult, asa34_counts,  # noqa: F401
                                  waits_table)
from data.vocabulary import (ANESTESI_CATEGORIES, ASA34_DAYS, ASA_CLASSES, LEVELS, PERIODS,  # noqa: F401
                             PRIO_CATEGORIES, QUERY_LEVELS, STALE_DAYS, TREND_MONTHS)
