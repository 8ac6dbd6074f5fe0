"""The read side's questions: one module per question, each owning its query
function(s), its result type and its table definition (data/tables.py), so
the screen, the API and the files are renderers of one computation.

| module | question |
|---|---|
| ``lookups`` | small per-snapshot look-ups every question needs (data dates, titles, catalogues) |
| ``waits`` | the table view: n, median, p90, shares per unit or region |
| ``trends`` | 18-month trends of a unit, a region or the nation |
| ``unit`` | the unit page: catalogue data, freshness, procedure and case mix |
| ``vtd`` | the wait-time database: monthly queue and completed figures |
| ``catalogue`` | what is loaded (meta), KVÅ search, towns |
| ``loads`` | the load history and rejections (Admin, ``etl status``) |
"""
