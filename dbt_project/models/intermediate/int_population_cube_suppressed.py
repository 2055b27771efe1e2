"""Population by sub-district x sex x age band with every total, small cells suppressed.

A Python model because complementary suppression is iterative linear algebra
(govlake.transform.suppression); the open model open_population_by_street_sex_age selects from
it under an enforced contract. The ~240 cells go back as a DuckDB relation over a typed temporary
table filled from SQL literals: a DataFrame, an Arrow table or query parameters would each make
DuckDB import pandas, ~0.5 s of every incremental build.
"""

import datetime as dt

from govlake.transform.suppression import TOTAL, cube, suppress

THRESHOLD = 10
DISTRICT = "110107"


def _literal(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.date):
        return f"date '{value.isoformat()}'"
    return "'" + str(value).replace("'", "''") + "'"


def model(dbt, session):
    dbt.config(materialized="table", tags=["open"])
    persons = dbt.ref("base_person")
    rows = persons.aggregate(
        "street_code, sex, age_band, count(*) as population, max(as_of_date) as as_of_date"
    ).fetchall()
    streets_rel = dbt.ref("vocab").filter("vocab = 'street'")
    streets = dict(streets_rel.project("code, label").fetchall())
    sexes = ["男", "女"]
    bands = ["00-14", "15-24", "25-44", "45-59", "60-64", "65-79", "80+"]
    counts = {(s, x, b): n for s, x, b, n, _ in rows if s in streets and x in sexes and b in bands}
    as_of = max((r[4] for r in rows), default=None)
    dims = [sorted(streets), sexes, bands]
    values = cube(counts, dims)
    hidden = suppress(values, dims, THRESHOLD)
    records = []
    for (street, sex, band), n in sorted(values.items()):
        records.append(
            (
                DISTRICT if street == TOTAL else street,
                "石景山区" if street == TOTAL else streets[street],
                sex,
                band,
                None if (street, sex, band) in hidden else n,
                (street, sex, band) in hidden,
                TOTAL in (street, sex, band),
                as_of,
            )
        )
    session.execute(
        "create or replace temporary table population_cube_cells (street_code varchar, "
        "street_name varchar, sex varchar, age_band varchar, population bigint, "
        "is_suppressed boolean, is_total boolean, as_of_date date)"
    )
    cells = ",\n".join("(" + ", ".join(_literal(v) for v in r) + ")" for r in records)
    session.execute(f"insert into population_cube_cells values\n{cells}")
    return session.table("population_cube_cells")
