"""Person-level services of hrss (就业参保) and civil affairs (老年福利, 残疾人两项补贴).

They are derived from the same persons as the police extract, so the same citizen IDs appear
in several departments; civil affairs repeats name and street and disagrees for a recorded
share (the person moved, or a name was keyed differently).
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from govlake.sample.entities import _other_street
from govlake.sample.people import Persons
from govlake.sample.pools import Pools, pick, weighted
from govlake.sample.rows import Disagreements, Rows, date_text, fmt_amount

INSURANCE = {
    "在职": "养老;医疗;失业;工伤;生育",
    "灵活就业": "养老;医疗",
    "失业登记": "养老;医疗;失业",
    "退休": "医疗",
}
DISABILITY_CATEGORIES = {
    "肢体": 48,
    "视力": 13,
    "听力": 12,
    "言语": 2,
    "智力": 7,
    "精神": 10,
    "多重": 8,
}
DISABILITY_GRADES = ("一级", "二级", "三级", "四级")
TWO_SUBSIDIES_SINCE = np.datetime64("2016-01-01")  # 残疾人两项补贴 national scheme


def hrss_rows(
    rng: np.random.Generator,
    p: Persons,
    employers: tuple[np.ndarray, np.ndarray],
    batch_date: dt.date,
) -> Rows:
    """social_insurance_enrolment: working-age persons (mostly employed) and retirees."""
    n = len(p)
    retire_age = np.where(p.sex == "男", 60, 55)
    working = (p.age >= 16) & (p.age < retire_age)
    retired = p.age >= retire_age
    enrolled = (working & (rng.random(n) < 0.68)) | (retired & (rng.random(n) < 0.75))
    idx = np.flatnonzero(enrolled)
    m = len(idx)
    status = weighted(rng, ("在职", "灵活就业", "失业登记"), (80, 13, 7), m)
    status[retired[idx]] = "退休"
    codes, weights = employers
    employer = np.full(m, None, dtype=object)
    job = status == "在职"
    if len(codes) and job.any():
        employer[job] = codes[rng.choice(len(codes), size=int(job.sum()), p=weights)].astype(object)
    else:
        status[job] = "灵活就业"
    born = p.born[idx]
    start_age = rng.uniform(18, 26, m)
    since = born + np.floor(start_age * 365.25).astype("timedelta64[D]")
    since = np.maximum(since, np.datetime64("1992-10-01"))  # Beijing pension insurance scheme
    since = np.minimum(since, np.datetime64(batch_date, "D"))
    since_text = np.array(date_text(since), dtype=object)
    since_text[rng.random(m) < 0.04] = None
    return Rows(
        {
            "citizen_id": p.cid[idx].tolist(),
            "employment_status": status.tolist(),
            "employer_credit_code": employer.tolist(),
            "insurance_types": [INSURANCE[s] for s in status.tolist()],
            "enrolled_since": since_text.tolist(),
        },
        entity=idx,
    )


def civil_rows(
    rng: np.random.Generator, p: Persons, pools: Pools, batch_date: dt.date, dis: Disagreements
) -> tuple[Rows, Rows, np.ndarray]:
    """elderly_care_benefit (≥ 80, 户籍) and disability_benefit (~2%); also returns the
    persons (indexes) whose police row must stay defect-free (they carry a disagreement)."""
    n = len(p)
    today = np.datetime64(batch_date, "D")
    old = np.flatnonzero((p.age >= 80) & (p.regtype == "户籍") & (rng.random(n) < 0.95))
    rows: list[tuple[int, str, float, np.datetime64]] = []
    eightieth = p.born + np.floor(80 * 365.2425).astype("timedelta64[D]")
    for i in old.tolist():
        age = int(p.age[i])
        amount = 800.0 if age >= 100 else 500.0 if age >= 90 else 100.0
        rows.append((i, "高龄津贴", amount, eightieth[i]))
    care = old[rng.random(len(old)) < 0.3]
    rows += [(i, "养老服务补贴", 100.0, eightieth[i]) for i in care.tolist()]
    nursing = old[rng.random(len(old)) < 0.08]
    rows += [(i, "护理补贴", 600.0, eightieth[i]) for i in nursing.tolist()]
    rows.sort(key=lambda r: (r[0], r[1]))
    who = np.array([r[0] for r in rows], dtype=np.int64)
    m = len(who)
    start = np.array([r[3] for r in rows], dtype="datetime64[D]")
    start = np.maximum(start, np.datetime64("2010-01-01"))  # allowance started in 2010 here
    start = np.minimum(start + rng.integers(0, 60, m).astype("timedelta64[D]"), today)
    name = p.name[who].copy()
    street = p.street[who].copy()
    # disagreements: ~0.5% name keyed differently, ~2% street (moved, civil affairs not updated)
    person_rows = np.zeros(n, dtype=bool)
    first_row = np.r_[True, who[1:] != who[:-1]] if m else np.zeros(0, dtype=bool)
    # draw per person, apply to all of that person's rows so a person is consistent
    per_person = np.cumsum(first_row) - 1
    persons_here = int(first_row.sum())
    name_diff = (rng.random(persons_here) < 0.005)[per_person] if m else first_row
    street_diff = (rng.random(persons_here) < 0.02)[per_person] if m else first_row
    if name_diff.any():
        firsts = who[name_diff & first_row]
        new_char = pick(rng, pools.given_chars, len(firsts))
        changed = np.array(
            [
                nm[:-1] + (c if c != nm[-1] else "华")
                for nm, c in zip(p.name[firsts].tolist(), new_char.tolist(), strict=True)
            ],
            dtype=object,
        )
        same = changed == p.name[firsts]
        changed[same] = changed[same] + "英"
        name[name_diff] = changed[np.cumsum(first_row[name_diff]) - 1]
        # one record per person and field (a person may have several benefit rows)
        dis.add(
            "person.name",
            p.cid[firsts].tolist(),
            "elderly_care_benefit",
            "person_name",
            p.name[firsts].tolist(),
            changed.tolist(),
        )
    if street_diff.any():
        firsts = who[street_diff & first_row]
        moved = _other_street(rng, p.street[firsts])
        street[street_diff] = moved[np.cumsum(first_row[street_diff]) - 1]
        dis.add(
            "person.street",
            p.cid[firsts].tolist(),
            "elderly_care_benefit",
            "street_code",
            p.street[firsts].tolist(),
            moved.tolist(),
        )
    protected = name_diff | street_diff
    person_rows[who[protected]] = True
    elderly = Rows(
        {
            "citizen_id": p.cid[who].tolist(),
            "person_name": name.tolist(),
            "benefit_type": [r[1] for r in rows],
            "monthly_amount": fmt_amount(np.array([r[2] for r in rows], dtype=float)),
            "start_date": date_text(start),
            "street_code": street.tolist(),
        },
        protected,
        who,
    )

    # 残疾人两项补贴: ~2% of persons, more among the elderly; one row per person (key)
    share = np.where(p.age >= 60, 0.035, 0.013)
    dis_idx = np.flatnonzero(rng.random(n) < share)
    k = len(dis_idx)
    grade = weighted(rng, DISABILITY_GRADES, (15, 25, 30, 30), k)
    severe = np.isin(grade, ["一级", "二级"])
    benefit = np.where(severe, "重度残疾人护理补贴", "困难残疾人生活补贴").astype(object)
    amount = np.where(severe, np.where(grade == "一级", 600.0, 400.0), 300.0)
    lo = np.maximum(p.born[dis_idx], TWO_SUBSIDIES_SINCE)
    span = np.maximum((today - lo).astype(int), 0)
    begin = lo + (rng.random(k) * span).astype("timedelta64[D]")
    disability = Rows(
        {
            "citizen_id": p.cid[dis_idx].tolist(),
            "disability_category": weighted(
                rng, list(DISABILITY_CATEGORIES), list(DISABILITY_CATEGORIES.values()), k
            ).tolist(),
            "disability_grade": grade.tolist(),
            "benefit_type": benefit.tolist(),
            "monthly_amount": fmt_amount(amount),
            "start_date": date_text(begin),
        },
        entity=dis_idx,
    )
    return elderly, disability, person_rows
