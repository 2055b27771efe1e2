"""Population by sub-district x sex x age band with every total, small cells suppressed.

A Python model because complementary suppression is iterative linear algebra
(govlake.transform.suppression); the open model open_population_by_street_sex_age selects from
it under an enforced contract.
"""

import pandas as pd

from govlake.transform.suppression import TOTAL, cube, suppress

THRESHOLD = 10
DISTRICT = "110107"


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
            {
                "street_code": DISTRICT if street == TOTAL else street,
                "street_name": "石景山区" if street == TOTAL else streets[street],
                "sex": sex,
                "age_band": band,
                "population": None if (street, sex, band) in hidden else n,
                "is_suppressed": (street, sex, band) in hidden,
                "is_total": TOTAL in (street, sex, band),
                "as_of_date": as_of,
            }
        )
    frame = pd.DataFrame.from_records(records)
    frame["population"] = frame["population"].astype("Int64")
    return frame


# This part is user provided model code
# you will need to copy the next section to run the code
# COMMAND ----------
# this part is dbt logic for get ref work, do not modify

def ref(*args, **kwargs):
    refs = {"base_person": "\"warehouse\".\"base\".\"base_person\"", "vocab": "\"warehouse\".\"reference\".\"vocab\""}
    key = '.'.join(args)
    version = kwargs.get("v") or kwargs.get("version")
    if version:
        key += f".v{version}"
    dbt_load_df_function = kwargs.get("dbt_load_df_function")
    return dbt_load_df_function(refs[key])


def source(*args, dbt_load_df_function):
    sources = {}
    key = '.'.join(args)
    return dbt_load_df_function(sources[key])


config_dict = {}
meta_dict = {}


class config:
    def __init__(self, *args, **kwargs):
        pass

    @staticmethod
    def get(key, default=None):
        return config_dict.get(key, default)

    @staticmethod
    def meta_get(key, default=None):
        return meta_dict.get(key, default)

class this:
    """dbt.this() or dbt.this.identifier"""
    database = "restricted"
    schema = "intermediate"
    identifier = "int_population_cube_suppressed"
    
    def __repr__(self):
        return '"restricted"."intermediate"."int_population_cube_suppressed"'


class dbtObj:
    def __init__(self, load_df_function) -> None:
        self.source = lambda *args: source(*args, dbt_load_df_function=load_df_function)
        self.ref = lambda *args, **kwargs: ref(*args, **kwargs, dbt_load_df_function=load_df_function)
        self.config = config
        self.this = this()
        self.is_incremental = False

# COMMAND ----------




def materialize(df, con):
    try:
        import pyarrow
        pyarrow_available = True
    except ImportError:
        pyarrow_available = False
    finally:
        if pyarrow_available and isinstance(df, pyarrow.Table):
            # https://github.com/duckdb/duckdb/issues/6584
            import pyarrow.dataset
    tmp_name = '__dbt_python_model_df_' + 'int_population_cube_suppressed__dbt_tmp'
    con.register(tmp_name, df)
    
    con.execute('create table "restricted"."intermediate"."int_population_cube_suppressed__dbt_tmp" as select * from ' + tmp_name)
    
    con.unregister(tmp_name)
