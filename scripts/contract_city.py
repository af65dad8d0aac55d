#!/usr/bin/env python3
"""Writes a synthetic city from the data contract alone (docs/contract-city.md).

Usage:
  scripts/contract_city.py --out DIR --persons N --seed S [--as-of 2026-10-31]
                           [--months 24] [--fraud-scale 1.0] [--variant NAME[,NAME]]...

Writes DIR/persons.csv, contributions.csv, payments.csv, signals.csv, registry.csv,
appraisals.csv and DIR/truth/persons.csv as the feeds contract describes them, plus
DIR/truth/planted_rejects.csv (the rows deliberately written in breach of the contract,
which ingest must reject). Python 3 standard library only; deterministic per seed.

The city
--------
Five cities of one economic circle (regions 3701..3705) share the feed; each pays its
pensions on its own pay day (8th to 20th, moved to the next Monday on weekends). Pensioners
are EMPLOYEE (about 55 %), RESIDENT (about 35 %: small pensions, 150-400 CNY) and PUBLIC
(about 10 %). Everyone retired at the policy age for the sex, category and retirement type;
benefits rose about 2 % each January, the rise paid late: in July the first half year's
difference comes as one catch-up PENSION payment. A new retiree's first months are paid
together a month or two late (one row per month, all on the same day).

About 40 % of persons live as married couples in the registry: same address, same phone,
often the same phone for the app's face certification; a few couples share one bank
account. Careers are one to five employer spells (REGULAR), a few with employer arrears
paid later (small BACK_PAYMENT spells); residents contribute to the resident scheme from
2009, and some residents short of 15 years bought the missing years in one small
BACK_PAYMENT before retiring, as the resident scheme allows. Honest SPECIAL_JOB retirees
have enough years of the hazardous job; honest DISABILITY retirees have a grade 1-4
COMPLETE_LOSS appraisal signed by one of the region's panel doctors a few months before
retiring. Some pensioners draw WORK_INJURY allowances (grade 5-10 appraisal long ago);
some recent retirees drew UNEMPLOYMENT in the months before retiring (with no job then).

Life signals come from a profile: active (app face certification once a year, transit,
bank, phone, travel), ordinary (face certification or a bank counter visit once a year,
pharmacy, bank, phone), frail (field visits, hospital stays, pharmacy; some live in a care
home, whose tablet certifies its residents one after another on one morning), app-only,
emigrated (face certification from abroad) and nearly silent (about 3 %: no in-person sign
in the last 12 months; they are the ones who must be asked). Face certification uses the
household's phone (its device id is the place), a community kiosk, or no place at all.

Honest life events: deaths with a DEATH row reported 2-40 days later (often a CREMATION row
and a hospital discharge DIED too); the pension is paid up to and including the month of
death, never after; survivors get a SURVIVOR lump sum under the deceased's id into a
relative's account. Prison spells with the pension suspended from the month after PRISON_IN
until PRISON_OUT. Honest account changes with a counter, desk or app visit the same day.
Honest transfers between regions: the old row TERMINATED, the new one paid from the next
month, never both in one month. Registry birth dates that differ from the id's by days
or weeks (lunar calendar), never earlier than the id's.

The planted patterns (one function each, rates scaled by --fraud-scale)
-------------------------------------------------------------------------
DECEASED_PAID      a registered death, pension periods after the death month still paid:
                   to the as-of date (fund never stopped), until a late report, or (hard)
                   only one or two months.
CONCEALED_DEATH    death with no DEATH row; pension keeps flowing; bank, phone and
                   sometimes the medical card keep being used; in-person signs stop. A
                   CREMATION row, a HOSPITAL_DISCHARGE DIED, or (hard) no record at all.
PRISON_PAID        PRISON_IN with no PRISON_OUT and the pension still paid (hard: two months
                   paid, then suspended).
DUPLICATE_RECEIPT  a second registry row in another region paid at the same time (hard: a
                   transfer whose old region kept paying three months).
SHARED_ACCOUNT     3-6 unrelated pensioners (hard: 2) paid into one agent's account.
ACCOUNT_HIJACK     the payee account changed to a stranger's account (or e-CNY wallet) with
                   no in-person or app sign near the change; rings of 2-3 victims share the
                   new account (also SHARED_ACCOUNT).
FAKE_SPECIAL_JOB   SPECIAL_JOB retirement at 55/45 with 1-5 years of the hazardous job
                   (hard: one year short of the minimum).
FAKE_DISABILITY    DISABILITY retirement backed by a mill doctor who signs many COMPLETE_LOSS
                   appraisals, or a grade 5-8 marked COMPLETE_LOSS, or (hard) an appraisal
                   dated after the retirement.
AGE_FALSIFIED      registered birth date 2-6 years (hard: 1 year) earlier than the id's, with
                   an ID_CHANGE row (or without), retiring at the falsified age.
BACKPAY_ABUSE      an EMPLOYEE with 5-12 REGULAR years buys the rest in one large
                   BACK_PAYMENT spell 1-6 months before retiring (hard: 2-4 years).
UNEMPLOYED_WHILE_EMPLOYED  UNEMPLOYMENT paid for months a REGULAR spell covers (hard: 2-3).
FORGED_IDENTITY    an id failing the check character; a clone of a real person's name and
                   birth date under another id; a ring of fabricated persons sharing one
                   phone. Fabricated persons never lived: truth alive=0 with no death date.
AMOUNT_ANOMALY     3-8 times the approved benefit for some months (hard: 1.4-1.8 times for
                   four or more months, or one payment of ten times).
FACE_REUSE         one device certifies 3-6 unrelated persons minutes apart, round after
                   round (hard: hours apart on one day); half of them are dead (also
                   CONCEALED_DEATH), the others live elsewhere and are never seen.
ANOMALY            outliers no rule names: a resident pension of employee size, a pension
                   paid to a new e-CNY wallet every month, a year of pension paid in advance.

Variants (--variant, none by default: the city above, byte for byte)
--------------------------------------------------------------------
Each changes a distribution within the contract's meaning of every field; they combine.
sparse     every Poisson signal rate (own cards, relatives' card use, care-home attendance,
           the widow's phone) halved: agencies that share fewer rows.
lag        DEATH reported 30-183 days after the death (CREMATION stays quick), PRISON_IN
           14-60 days and PRISON_OUT 14-90 days late; the pension stops as before.
appcert    proof of life in the app: ordinary pensioners certify by face (90 %), the face
           check's place is the household phone or empty (half each), counters and service
           desks a fifth as often, honest account changes mostly behind an app face check.
shift      three in ten of the living change card habits once (new pharmacies, ATMs, bus lines;
           the time of day moved 2-6 h); a third of them stop riding the bus and double
           their pharmacy visits.
movers     one in ten more honest account changes, a third of all with no visit (the bank
           renumbered the account); one in 25 more moves between regions, couples together,
           with the card habits moving to the new streets and a third opening a local account.
lumpy      a fifth of the living have an irregular payroll: a month paid with the next run,
           two or three months late, skipped and paid double next month, a deduction of
           20-50 %, a second allowance row, or a recalculation raising the benefit 5-15 % with
           the difference back-paid in one supplement row.
quiet      nearly silent pensioners 12 % instead of 3 % (15 % of those over 75 more), with a
           pharmacy visit about once a year.
hardfraud  most plantings at their hard end (80 % unless said): concealed deaths with no record
           and the family keeping the person's own card habits, single hijacks, 60 % of them
           with a counter visit by someone with the id card, AMOUNT_ANOMALY at 1.2-1.3x,
           one-year age falsification, special jobs one year short, 2-4 bought years,
           2-3 overlap months, forged clones on their own phone, rings of four per phone and
           a live phone for each fabricated id, face reuse hours apart.
"""
import argparse
import csv
import datetime as dt
import math
import os
import random
import sys

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"

REGIONS = {  # region code -> (city, pension pay day)
    "3701": ("济南", 15),
    "3702": ("青岛", 10),
    "3703": ("淄博", 12),
    "3704": ("枣庄", 8),
    "3705": ("东营", 20),
}
DISTRICT_SUFFIX = ("02", "03", "04", "05", "11", "12", "13", "81", "83")
OTHER_PROVINCE_CODES = ("410102", "130104", "320106", "340104", "220102", "370302",
                        "371302", "372901", "371102", "370882")

SURNAMES = ("王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈"
            "曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔")
GIVEN_M = "国建军伟强明志勇海平兴刚福德成华立文光庆祥宝义永家振东春生学忠仁山"
GIVEN_F = "秀英兰玉桂珍凤芳红霞梅丽敏淑荣琴云华素莲翠娟金春燕萍雪美菊亚静"
STREETS = ("解放", "和平", "建设", "人民", "胜利", "文化", "经十", "历山", "泉城", "山大",
           "香港", "延安", "台东", "柳泉", "共青团", "西二", "黄河", "府前", "光明", "新华")

# Policy values as the contract states them (the defaults of policy.json).
SPECIAL_MIN_YEARS = {"HEAVY_LABOUR": 10, "HIGH_ALTITUDE": 10, "UNDERGROUND": 9,
                     "HIGH_TEMPERATURE": 9, "TOXIC": 8}
SPECIAL_INDUSTRY = {"UNDERGROUND": "B06", "HIGH_ALTITUDE": "E48", "HIGH_TEMPERATURE": "C31",
                    "HEAVY_LABOUR": "G59", "TOXIC": "C26"}
ENTERPRISE_INDUSTRIES = ("C13", "C17", "C26", "C30", "C31", "C33", "C34", "C36", "C38",
                         "D44", "E47", "E48", "F51", "F52", "G54", "G59", "H61", "H62",
                         "I65", "J66", "K70", "M74", "N78", "B06", "B08")
PUBLIC_INDUSTRIES = ("S92", "P83", "Q84", "M73", "N77")

IN_PERSON = ("FACE_CERT", "FIELD_VISIT", "BANK_COUNTER", "GOV_SERVICE")

# --variant names (docs/contract-city.md, "Variants"): each changes the city within the
# contract's meaning of every field; none is on by default.
VARIANTS = ("sparse", "lag", "appcert", "shift", "movers", "lumpy", "quiet", "hardfraud")


# ---------------------------------------------------------------- small helpers
def check_char(body17):
    total = sum(int(c) * w for c, w in zip(body17, WEIGHTS))
    return CHECK_CHARS[total % 11]


def month_index(d):
    return d.year * 12 + d.month - 1


def month_of(idx):
    return idx // 12, idx % 12 + 1


def month_str(idx):
    y, m = month_of(idx)
    return "%04d-%02d" % (y, m)


def month_start(idx):
    y, m = month_of(idx)
    return dt.date(y, m, 1)


def month_end(idx):
    return month_start(idx + 1) - dt.timedelta(days=1)


def add_years(d, years):
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def money(x):
    return "%.2f" % (round(x + 1e-9, 2))


def ts(d, hour, minute, second=0):
    return "%sT%02d:%02d:%02d" % (d.isoformat(), hour, minute, second)


def next_weekday(d):
    while d.weekday() >= 5:
        d += dt.timedelta(days=1)
    return d


def set_account(p, acc):
    p.account = acc
    p.account_initial = acc


class Person:
    """One registry row (person_id, region) and everything that happens to that person."""

    def __init__(self):
        self.pid = ""
        self.region = ""
        self.name = ""
        self.id_birth = None      # the birth date inside the id (the true one)
        self.reg_birth = None     # birth date on the fund's registry row
        self.sex = "M"
        self.district = ""
        self.scheme = "EMPLOYEE"
        self.category = "WORKER"
        self.ret_date = None
        self.ret_type = "NORMAL"
        self.benefit = 0.0
        self.account = ""
        self.phone = ""
        self.address = ""
        self.status = "ACTIVE"
        self.profile = "ordinary"
        self.device = ""
        self.household = None     # shared household id (couples)
        self.spells = []          # contribution rows (dicts)
        self.registry = []        # registry rows (dicts)
        self.appraisals = []
        self.extra_payments = []  # (benefit, period_idx, amount, account, paid_date, channel)
        self.extra_signals = []   # (source, datetime-ish str, place, detail)
        self.patterns = set()
        self.alive = True
        self.death = None         # true death date
        self.fabricated = False
        self.pay_from = None      # first PENSION period index paid (None: from retirement)
        self.pay_to = None        # last PENSION period index paid (None: to the as-of month)
        self.pay_gaps = set()     # periods not paid (suspension)
        self.amount_factor = {}   # period -> factor on the regular amount
        self.account_changes = []  # (date, new_account, channel)
        self.signals_until = None  # last date of the person's own life signals
        self.absent_from = None    # from this date the person is not seen in person
        self.card_use_after = False  # relatives keep using the cards after death/absence
        self.prison = []          # (in_date, out_date or None)
        self.care_home = ""
        self.cert_month = 1
        self.twin = None          # second registry row of the same person (duplicate)
        self.notes = []           # how a pattern was planted (truth/notes.csv)


class City:
    def __init__(self, args):
        self.rng = random.Random(args.seed)
        # Variants (docs/contract-city.md, "Variants") draw from their own stream, so that a
        # variant city keeps the persons and plantings of the same seed's base city wherever
        # the variant does not change them, and no variant leaves the base city byte-identical.
        self.variants = frozenset(getattr(args, "variants", ()) or ())
        self.vrng = random.Random("variants/%s/%s" % (args.seed, ",".join(sorted(self.variants))))
        self.as_of = dt.date.fromisoformat(args.as_of)
        self.months = args.months
        self.scale = args.fraud_scale
        self.n = args.persons
        self.seed = args.seed
        self.last_month = month_index(self.as_of)
        self.first_month = self.last_month - self.months + 1
        self.window_start = month_start(self.first_month)
        # signals go back further so that a 12-month window is full at the window's start
        self.signal_start = month_start(self.first_month - 12)
        self.persons = []
        self.used_ids = set()
        self.used_accounts = set()
        self.used_phones = set()
        self.counter = 0
        self.employers = {r: self._employers(r) for r in REGIONS}
        self.doctors = {r: ["DR%s%03d" % (r, i) for i in range(1, 9)] for r in REGIONS}
        self.hospitals = {r: ["H%s%02d" % (r, i) for i in range(1, 4)] for r in REGIONS}
        self.care_homes = {}
        self.planted_rejects = []
        self.payment_seq = 0

    # ---------------------------------------------------------- identities and pools
    def _employers(self, region):
        rng = random.Random("%s-%s" % (region, self.rng.random()))
        out = []
        for i in range(160):
            public = i < 25
            ind = rng.choice(PUBLIC_INDUSTRIES if public else ENTERPRISE_INDUSTRIES)
            code = "91%s00%s" % (region, "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY")
                                                for _ in range(10)))
            out.append((code, ind, public))
        return out

    def new_id(self, address_code, birth, sex, valid=True):
        rng = self.rng
        while True:
            seq = rng.randrange(0, 500) * 2 + (1 if sex == "M" else 0)
            body = "%s%s%03d" % (address_code, birth.strftime("%Y%m%d"), seq)
            c = check_char(body)
            if not valid:
                c = rng.choice([x for x in "0123456789X" if x != c])
            pid = body + c
            if pid not in self.used_ids:
                self.used_ids.add(pid)
                return pid

    def new_account(self, prefix=None, rng=None):
        rng = rng or self.rng
        while True:
            p = prefix or rng.choice(("622848", "621700", "622202", "623058", "621226"))
            acc = p + "".join(rng.choice("0123456789") for _ in range(19 - len(p)))
            if acc not in self.used_accounts:
                self.used_accounts.add(acc)
                return acc

    def new_phone(self, rng=None):
        rng = rng or self.rng
        while True:
            ph = rng.choice(("13", "15", "18", "17")) + "".join(
                rng.choice("0123456789") for _ in range(9))
            if ph not in self.used_phones:
                self.used_phones.add(ph)
                return ph

    def new_name(self, sex):
        rng = self.rng
        given = GIVEN_M if sex == "M" else GIVEN_F
        n = rng.choice(SURNAMES)
        n += rng.choice(given)
        if rng.random() < 0.7:
            n += rng.choice(given)
        return n

    def new_address(self, region, district, rng=None):
        rng = rng or self.rng
        city = REGIONS[region][0]
        return "山东省%s市%s路%d号%d号楼%d单元%d室" % (
            city, rng.choice(STREETS), rng.randint(1, 400), rng.randint(1, 30),
            rng.randint(1, 4), rng.randint(1, 6) * 100 + rng.randint(1, 4))

    def new_district(self, region, rng=None):
        return region + (rng or self.rng).choice(DISTRICT_SUFFIX)

    def new_device(self):
        return "DEV-%012x" % self.rng.getrandbits(48)

    def care_home_of(self, district):
        homes = self.care_homes.setdefault(district, [
            ("CARE-%s-%02d" % (district, i), self.new_device()) for i in range(1, 3)])
        return self.rng.choice(homes)

    def uid(self):
        self.counter += 1
        return self.counter

    def var(self, name):
        return name in self.variants

    def harder(self, v, lo, hi, share=0.8):
        """hardfraud: the draw v that picks a planting's way moved into its hard band [lo, hi)
        for `share` of the plantings; v unchanged otherwise."""
        if self.var("hardfraud") and self.vrng.random() < share:
            return self.vrng.uniform(lo, hi)
        return v

    # ---------------------------------------------------------- honest persons
    def retirement_age(self, p):
        if p.ret_type == "RESIDENT_AGE":
            return 60
        if p.ret_type == "SPECIAL_JOB":
            return 55 if p.sex == "M" else 45
        if p.sex == "M":
            return 60
        return 55 if p.category == "CADRE" else 50

    def make_person(self, region=None, sex=None, scheme=None, ret_type=None,
                    years_retired=None, ret_age=None, district=None):
        """A fully consistent honest pensioner; pattern functions then change what they plant."""
        rng = self.rng
        p = Person()
        p.region = region or rng.choice(list(REGIONS))
        p.district = district or self.new_district(p.region)
        p.sex = sex or rng.choice("MF")
        if scheme is None:
            u = rng.random()
            scheme = "EMPLOYEE" if u < 0.55 else ("RESIDENT" if u < 0.90 else "PUBLIC")
        p.scheme = scheme
        if scheme == "PUBLIC":
            p.category = "CADRE" if rng.random() < 0.8 else "WORKER"
        elif scheme == "EMPLOYEE":
            p.category = "CADRE" if rng.random() < 0.15 else "WORKER"
        else:
            p.category = "WORKER"
        if ret_type is None:
            if scheme == "RESIDENT":
                ret_type = "RESIDENT_AGE"
            else:
                u = rng.random()
                ret_type = ("SPECIAL_JOB" if u < 0.03 and scheme == "EMPLOYEE"
                            else "DISABILITY" if u < 0.05 else "NORMAL")
        p.ret_type = ret_type
        if ret_age is None:
            ret_age = self.retirement_age(p)
            if ret_type == "DISABILITY":
                ret_age = rng.randint(50, 58) if p.sex == "M" else rng.randint(45, 49)
        if years_retired is None:
            years_retired = rng.expovariate(1 / 11.0)
            while ret_age + years_retired > 101:
                years_retired = rng.expovariate(1 / 11.0)
        # the retirement date is the first of the month after the birthday at ret_age
        ret_month = month_index(self.as_of) - int(years_retired * 12)
        birth_month = ret_month - 1 - ret_age * 12
        by, bm = month_of(birth_month)
        p.id_birth = dt.date(by, bm, rng.randint(1, 28))
        p.ret_date = month_start(ret_month)
        p.reg_birth = p.id_birth
        if rng.random() < 0.02:  # registered on the lunar birthday: later, never earlier
            p.reg_birth = p.id_birth + dt.timedelta(days=rng.randint(10, 50))
            if month_index(add_years(p.reg_birth, ret_age)) >= ret_month:
                p.reg_birth = p.id_birth
        addr = p.district if rng.random() < 0.8 else rng.choice(OTHER_PROVINCE_CODES)
        p.pid = self.new_id(addr, p.id_birth, p.sex)
        p.name = self.new_name(p.sex)
        set_account(p, self.new_account())
        p.phone = self.new_phone() if rng.random() < 0.9 else ""
        p.address = self.new_address(p.region, p.district) if rng.random() < 0.95 else ""
        p.device = self.new_device()
        p.cert_month = rng.randint(1, 12)
        self.build_career(p, ret_age)
        self.set_benefit(p)
        if ret_type == "DISABILITY":
            ad = p.ret_date - dt.timedelta(days=rng.randint(30, 180))
            p.appraisals.append(self.appraisal(p, ad, rng.randint(1, 4), "COMPLETE_LOSS",
                                               rng.choice(self.doctors[p.region])))
        return p

    def appraisal(self, p, date, grade, conclusion, doctor):
        hospital = "H%s" % doctor[2:6] + "%02d" % (int(doctor[-3:]) % 3 + 1)
        return {"person_id": p.pid, "appraisal_date": date.isoformat(), "hospital_id": hospital,
                "doctor_id": doctor, "grade": str(grade), "conclusion": conclusion}

    def wage(self, year):
        return 250.0 * (1.105 ** (max(year, 1985) - 1990))

    def spell(self, p, employer, industry, job, start, end, kind="REGULAR", paid=None,
              base=None, recorded=None):
        rng = self.rng
        if base is None:
            base = self.wage(month_of(start)[0]) * math.exp(rng.gauss(0, 0.25))
        if paid is None:
            paid = month_start(end + 1) + dt.timedelta(days=rng.randint(5, 20))
        paid = min(paid, self.as_of)
        if recorded is None:
            rec_day = paid if paid.year >= 2004 else dt.date(2003, 6, 30)
            recorded = ts(rec_day + dt.timedelta(days=rng.randint(0, 3)),
                          rng.randint(8, 18), rng.randint(0, 59), rng.randint(0, 59))
        row = {"person_id": p.pid, "region": p.region, "employer_id": employer,
               "industry": industry, "job_type": job, "start_month": month_str(start),
               "end_month": month_str(end), "monthly_base": money(base), "kind": kind,
               "paid_date": paid.isoformat(), "recorded_at": recorded}
        p.spells.append(row)
        return row

    def build_career(self, p, ret_age, special=None, regular_years=None):
        """Contribution spells up to the month before retirement.

        special: (job_type, years) of hazardous work, placed before retirement.
        regular_years: cap the REGULAR years (for short careers)."""
        rng = self.rng
        p.spells = []
        ret_m = month_index(p.ret_date)
        if p.scheme == "RESIDENT":
            start = max(month_index(dt.date(2009, 1, 1)), ret_m - 15 * 12)
            if start < ret_m:
                vc = "RV%s%02d" % (p.district, rng.randint(1, 40))
                base = rng.choice((100, 200, 300, 500)) / 12.0 * 12 / 12
                for y0 in range(start, ret_m, 12):  # one row per contribution year
                    y1 = min(y0 + 11, ret_m - 1)
                    self.spell(p, vc, "A01", "NORMAL", y0, y1, base=base,
                               paid=month_start(y0) + dt.timedelta(days=rng.randint(40, 200)))
                years = (ret_m - start) / 12.0
                if years < 15 and month_of(start)[0] == 2009 and rng.random() < 0.3:
                    missing = int(round((15 - years) * 12))
                    self.spell(p, vc, "A01", "NORMAL", start - missing, start - 1,
                               kind="BACK_PAYMENT", base=base,
                               paid=p.ret_date - dt.timedelta(days=rng.randint(20, 90)))
            return
        work_start = month_index(p.id_birth) + 12 * rng.randint(18, 24) + rng.randint(0, 11)
        end = ret_m - 1
        special_rows = []
        if special:
            job, years = special
            s0 = end - years * 12 + 1
            special_rows.append((s0, end, job))
            end = s0 - 1 - rng.choice((0, 0, 0, 3, 6))
        if regular_years is not None:
            work_start = max(work_start, end - regular_years * 12 + 1)
        spans = []
        n = rng.choice((1, 2, 2, 3, 3, 4, 5))
        cur = work_start
        length = end - work_start + 1
        if length > 0:
            cuts = sorted(rng.sample(range(1, length), min(n - 1, max(length - 1, 0))))
            bounds = [0] + cuts + [length]
            for a, b in zip(bounds, bounds[1:]):
                s, e = work_start + a, work_start + b - 1
                if len(spans) > 0 and regular_years is None and rng.random() < 0.25:
                    s = min(e, s + rng.randint(1, 18))  # a gap between jobs
                spans.append((s, e))
        pool = self.employers[p.region]
        for s, e in spans:
            if p.scheme == "PUBLIC":
                code, ind, _ = rng.choice(pool[:25])
            else:
                code, ind, _ = rng.choice(pool[25:])
            job = "NORMAL"
            if ind == "B06" and rng.random() < 0.3 and not special and e - s < 60:
                job = "UNDERGROUND"  # a few years down the mine, then an ordinary retirement
            if rng.random() < 0.04 and e - s > 24:  # employer arrears, paid a year or two later
                a0 = rng.randint(s + 1, e - 12)
                a1 = a0 + rng.randint(2, 11)
                self.spell(p, code, ind, job, s, a0 - 1)
                self.spell(p, code, ind, job, a0, a1, kind="BACK_PAYMENT",
                           paid=month_start(a1) + dt.timedelta(days=rng.randint(200, 700)))
                self.spell(p, code, ind, job, a1 + 1, e)
            else:
                self.spell(p, code, ind, job, s, e)
        for s, e, job in special_rows:
            code = self.special_employer(p.region, job)
            self.spell(p, code, SPECIAL_INDUSTRY[job], job, s, e)

    def special_employer(self, region, job):
        ind = SPECIAL_INDUSTRY[job]
        for code, i, _ in self.employers[region]:
            if i == ind:
                return code
        code = "91%s00SPEC%s%04d" % (region, ind, self.rng.randint(0, 9999))
        self.employers[region].append((code, ind, False))
        return code

    def set_benefit(self, p):
        rng = self.rng
        if p.scheme == "RESIDENT":
            b = rng.uniform(150, 260) + 8 * len(p.spells)
            p.benefit = round(min(b, 400), 2)
        elif p.scheme == "PUBLIC":
            p.benefit = round(min(max(rng.lognormvariate(math.log(6200), 0.2), 4300), 11000), 2)
        else:
            years = sum(self.spell_months(s) for s in p.spells) / 12.0
            b = (1500 + 55 * years) * math.exp(rng.gauss(0, 0.15))
            if p.ret_type == "DISABILITY":
                b *= 0.85
            p.benefit = round(min(max(b, 1900), 6500), 2)

    @staticmethod
    def spell_months(row):
        a = row["start_month"].split("-")
        b = row["end_month"].split("-")
        return (int(b[0]) * 12 + int(b[1])) - (int(a[0]) * 12 + int(a[1])) + 1

    def honest_population(self, count):
        rng = self.rng
        while len(self.persons) < count:
            p = self.make_person()
            self.persons.append(p)
            if rng.random() < 0.25 and len(self.persons) < count:  # a spouse in the registry
                q = self.make_spouse(p)
                if q is not None:
                    self.persons.append(q)

    def make_spouse(self, p):
        rng = self.rng
        sex = "F" if p.sex == "M" else "M"
        scheme = p.scheme if rng.random() < 0.7 else None
        # a similar age: retired between 0 and 15 years ago
        age_now = (self.as_of - p.id_birth).days / 365.25 + rng.uniform(-5, 5)
        q = None
        for _ in range(5):
            cand = self.make_person(region=p.region, sex=sex, scheme=scheme,
                                    district=p.district)
            cand_age = (self.as_of - cand.id_birth).days / 365.25
            if q is None or abs(cand_age - age_now) < abs(
                    (self.as_of - q.id_birth).days / 365.25 - age_now):
                q = cand
        if q is None:
            return None
        hh = self.uid()
        p.household = q.household = hh
        q.address = p.address
        if p.phone:
            q.phone = p.phone
        if rng.random() < 0.5:
            q.device = p.device
        q.cert_month = p.cert_month if rng.random() < 0.6 else q.cert_month
        if rng.random() < 0.03:
            set_account(q, p.account)  # one passbook for the couple
        return q

    # ---------------------------------------------------------- honest life events
    def assign_profiles(self):
        rng = self.rng
        for p in self.persons:
            age = (self.as_of - p.id_birth).days / 365.25
            frail_p = min(0.45, max(0.03, 0.03 + (age - 68) * 0.02))
            u = rng.random()
            if u < 0.03:
                p.profile = "silent"
            elif u < 0.03 + frail_p:
                p.profile = "frail"
            elif u < 0.11 + frail_p:
                p.profile = "app"
            elif u < 0.11 + frail_p + (0.5 if age < 72 else 0.25):
                p.profile = "active"
            else:
                p.profile = "ordinary"
            if p.profile == "frail" and rng.random() < 0.3:
                p.care_home = self.care_home_of(p.district)
            if self.var("quiet") and p.profile != "silent" and \
                    self.vrng.random() < (0.15 if age >= 75 else 0.05):
                # quiet: many more nearly silent elderly (about 12 % instead of 3 %)
                p.profile = "silent"
                p.care_home = ""

    @staticmethod
    def mortality(age):
        return min(0.5, 0.008 * math.exp(0.095 * (age - 60)))

    def honest_deaths(self):
        rng = self.rng
        span_days = (self.as_of - self.window_start).days
        for p in self.persons:
            if p.patterns or p.twin:
                continue
            age = (self.as_of - p.id_birth).days / 365.25
            q = self.mortality(age - 1)
            if rng.random() < 1 - (1 - q) ** (self.months / 12.0):
                d = self.window_start + dt.timedelta(days=rng.randint(0, span_days - 1))
                if d <= p.ret_date:
                    continue
                self.kill(p, d)
                p.pay_to = month_index(d)
                reported = d + dt.timedelta(days=rng.randint(2, 40))
                if self.var("lag"):  # the civil registration reaches the fund 1-6 months late
                    reported = d + dt.timedelta(days=self.vrng.randint(30, 183))
                self.reg(p, "DEATH", d, reported)
                if reported <= self.as_of:
                    p.status = "TERMINATED"
                if p.household and p.phone and rng.random() < 0.4:
                    p.phone_after = True  # the widow(er) keeps the phone in the dead's name
                if rng.random() < 0.7:
                    self.reg(p, "CREMATION", d + dt.timedelta(days=rng.randint(2, 5)),
                             d + dt.timedelta(days=rng.randint(5, 20)))
                if rng.random() < 0.6:
                    self.hospital_death(p, d)
                if rng.random() < 0.6:  # funeral grant and survivors' lump sum
                    pd = next_weekday(d + dt.timedelta(days=rng.randint(25, 90)))
                    if pd <= self.as_of:
                        p.extra_payments.append(("SURVIVOR", month_index(pd),
                                                 round(p.benefit * rng.uniform(8, 20), 2),
                                                 self.new_account(), pd, "BANK"))
        # a few persons who died before the window: their rows stay TERMINATED
        for p in rng.sample(self.persons, max(1, self.n // 60)):
            if p.patterns or p.death or p.twin:
                continue
            d = self.window_start - dt.timedelta(days=rng.randint(30, 700))
            if d <= p.ret_date + dt.timedelta(days=40):
                continue
            self.kill(p, d)
            p.pay_to = month_index(d)
            p.status = "TERMINATED"
            self.reg(p, "DEATH", d, d + dt.timedelta(days=rng.randint(2, 40)))

    def kill(self, p, d):
        p.alive = False
        p.death = d
        p.signals_until = d

    def hospital_death(self, p, d):
        rng = self.rng
        h = rng.choice(self.hospitals[p.region])
        adm = d - dt.timedelta(days=rng.randint(1, 25))
        p.extra_signals.append(("HOSPITAL_ADMISSION", ts(adm, rng.randint(0, 23),
                                rng.randint(0, 59)), h, "住院"))
        p.extra_signals.append(("HOSPITAL_DISCHARGE", ts(d, rng.randint(0, 23),
                                rng.randint(0, 59)), h, "DIED"))

    def reg(self, p, event, date, reported, detail=""):
        p.registry.append({"person_id": p.pid, "event": event, "event_date": date.isoformat(),
                           "reported_date": reported.isoformat(), "detail": detail})

    def honest_events(self):
        rng = self.rng
        living = [p for p in self.persons if p.alive and not p.patterns]
        for p in rng.sample(living, max(1, len(living) // 900)):  # prison spells
            d = self.window_start + dt.timedelta(days=rng.randint(30, 500))
            if d >= self.as_of - dt.timedelta(days=40) or d < p.ret_date or p.prison:
                continue
            out = d + dt.timedelta(days=rng.randint(90, 540))
            rep_in = d + dt.timedelta(days=rng.randint(1, 8))
            if self.var("lag"):  # the court's and the prison's notices come weeks late
                rep_in = d + dt.timedelta(days=self.vrng.randint(14, 60))
            self.reg(p, "PRISON_IN", d, rep_in)
            mi = month_index(d)
            if out < self.as_of - dt.timedelta(days=10):
                rep_out = out + dt.timedelta(days=rng.randint(1, 20))
                if self.var("lag"):
                    rep_out = out + dt.timedelta(days=self.vrng.randint(14, 90))
                self.reg(p, "PRISON_OUT", out, rep_out)
                mo = month_index(out)
                p.pay_gaps.update(range(mi + 1, mo + 1))
                p.prison.append((d, out))
            else:
                p.pay_gaps.update(range(mi + 1, self.last_month + 1))
                p.prison.append((d, None))
                p.status = "SUSPENDED"
        for p in rng.sample(living, len(living) // 33):  # honest account changes
            if p.prison or p.account_changes:
                continue
            d = self.window_start + dt.timedelta(days=rng.randint(10, 700))
            if d >= self.as_of or d <= p.ret_date:
                continue
            how = rng.random()
            if how < 0.6:
                place = "BR-%s-%02d" % (p.district, rng.randint(1, 9))
                p.extra_signals.append(("BANK_COUNTER", ts(d, rng.randint(9, 16),
                                        rng.randint(0, 59)), place, "变更账户"))
            elif how < 0.85:
                p.extra_signals.append(("FACE_CERT", ts(d, rng.randint(8, 21),
                                        rng.randint(0, 59)), p.device, "PASS"))
            else:
                p.extra_signals.append(("GOV_SERVICE", ts(d, rng.randint(9, 16),
                                        rng.randint(0, 59)), "GOV-%s" % p.district, "账户变更"))
            self.vary_change_visit(p)
            new = self.new_account()
            p.account_changes.append((d, new, "BANK"))
        for p in rng.sample(living, len(living) // 200):  # move to another region
            if p.prison or p.account_changes or p.household or p.twin:
                continue
            d = self.window_start + dt.timedelta(days=rng.randint(60, 600))
            if d >= self.as_of - dt.timedelta(days=60) or d <= p.ret_date:
                continue
            self.transfer(p, month_index(d))
            if self.var("movers"):
                p.twin.moved_on = month_start(month_index(d) + 1)
        if self.var("movers"):
            self.more_movers(living)
        if self.var("shift"):
            self.habit_shifts(living)
        if self.var("lumpy"):
            for p in living:
                if not p.twin and self.vrng.random() < 0.2:
                    p.lumpy = True
        for p in living:
            if p.scheme == "EMPLOYEE" and p.sex == "M" and rng.random() < 0.03:
                amount = round(rng.uniform(600, 2200), 2)
                p.extra_payments.append(("WORK_INJURY_MONTHLY", 0, amount, "", None, ""))
                ad = p.ret_date - dt.timedelta(days=rng.randint(800, 7000))
                p.appraisals.append(self.appraisal(p, ad, rng.randint(5, 10), "PARTIAL_LOSS",
                                                   rng.choice(self.doctors[p.region])))
            if (p.scheme != "RESIDENT" and p.ret_type == "NORMAL" and rng.random() < 0.25
                    and p.ret_date > self.window_start + dt.timedelta(days=120)):
                self.unemployment_before_retirement(p, overlap=0)
            if p.profile in ("ordinary", "active") and rng.random() < 0.003:
                p.profile = "emigrant"
                d = self.signal_start - dt.timedelta(days=rng.randint(10, 2000))
                self.reg(p, "EMIGRATED", max(d, p.ret_date), max(d, p.ret_date) +
                         dt.timedelta(days=rng.randint(10, 60)))

    def vary_change_visit(self, p):
        """The sign of an honest account change just appended to p.extra_signals, as the
        variants see it: appcert makes most of them a face check in the app (the household's
        phone or no place), movers drops about a third (a bank's card replacement or merger
        renumbers the account and the bank notifies the fund by file: nobody comes in)."""
        vr = self.vrng
        src, when, place, detail = p.extra_signals[-1]
        if self.var("appcert") and src != "FACE_CERT" and vr.random() < 0.85:
            p.extra_signals[-1] = ("FACE_CERT", when, p.device if vr.random() < 0.5 else "",
                                   "PASS")
        if self.var("movers") and vr.random() < 0.35:
            p.extra_signals.pop()
            p.notes.append("movers: account renumbered by the bank, no visit")

    def more_movers(self, living):
        """movers: about one in ten of the living change account honestly (on top of the base
        city's one in 33) and one in 25 move to another region, couples together; a third of
        the movers open an account at a bank of the new city, with a service-desk visit there
        on most of those moves."""
        vr = self.vrng
        for p in vr.sample(living, len(living) // 10):
            if p.prison or p.account_changes or p.twin:
                continue
            d = self.window_start + dt.timedelta(days=vr.randint(10, 700))
            if d >= self.as_of or d <= p.ret_date:
                continue
            how = vr.random()
            t = ts(d, vr.randint(9, 16), vr.randint(0, 59))
            if how < 0.5:
                p.extra_signals.append(("BANK_COUNTER", t, "BR-%s-%02d" % (
                    p.district, vr.randint(1, 9)), "变更账户"))
            elif how < 0.8:
                p.extra_signals.append(("FACE_CERT", t, p.device, "PASS"))
            else:
                p.extra_signals.append(("GOV_SERVICE", t, "GOV-%s" % p.district, "账户变更"))
            self.vary_change_visit(p)
            p.account_changes.append((d, self.new_account(rng=vr), "BANK"))
        by_household = {}
        for p in self.persons:
            if p.household:
                by_household.setdefault(p.household, []).append(p)
        for p in vr.sample(living, len(living) // 25):
            group = by_household.get(p.household, [p]) if p.household else [p]
            if any(q.prison or q.account_changes or q.twin or not q.alive or q.patterns
                   for q in group):
                continue
            d = self.window_start + dt.timedelta(days=vr.randint(60, 600))
            if d >= self.as_of - dt.timedelta(days=60) or any(d <= q.ret_date for q in group):
                continue
            mi = month_index(d)
            region = vr.choice([r for r in REGIONS if r != p.region])
            district = self.new_district(region, rng=vr)
            address = self.new_address(region, district, rng=vr)
            new_bank = vr.random() < 0.35
            visit = vr.random() < 0.7
            for q in group:
                t = self.transfer(q, mi, rng=vr, region=region, district=district,
                                  address=address)
                t.moved_on = month_start(mi + 1)
                q.notes.append("movers: moved to %s from %s" % (region, month_str(mi + 1)))
                if new_bank:
                    set_account(t, self.new_account(rng=vr))
                    if visit:
                        day = next_weekday(month_start(mi + 1) + dt.timedelta(
                            days=vr.randint(0, 6)))
                        q.extra_signals.append(("GOV_SERVICE", ts(day, vr.randint(9, 16),
                                                vr.randint(0, 59)), "GOV-%s" % district,
                                                "迁入登记"))

    def habit_shifts(self, living):
        """shift: three in ten of the living change their card habits once in the window
        (moved in with a child, a new pharmacy and bus lines, going out at other hours); for
        a third of them the bus card stops and the pharmacy visits double."""
        vr = self.vrng
        span = (self.as_of - self.window_start).days
        for p in living:
            if p.twin or vr.random() >= 0.3:
                continue
            p.shift_on = self.window_start + dt.timedelta(days=vr.randint(60, span - 60))
            p.shift_hours = vr.choice((-1, 1)) * vr.uniform(2, 6)
            p.shift_drop_bus = vr.random() < 0.33
            p.notes.append("shift: habits move on %s by %+.1f h%s" % (
                p.shift_on, p.shift_hours, ", bus card stops" if p.shift_drop_bus else ""))

    def transfer(self, p, mi, rng=None, region=None, district=None, address=None):
        """Honest move: the old row is paid up to month mi, the new region from mi+1."""
        rng = rng or self.rng
        q = Person()
        q.__dict__.update({k: v for k, v in p.__dict__.items()})
        q.region = region or rng.choice([r for r in REGIONS if r != p.region])
        q.district = district or self.new_district(q.region)
        q.address = address or self.new_address(q.region, q.district)
        q.spells, q.registry, q.appraisals = [], [], []
        q.extra_payments, q.extra_signals = [], []
        q.patterns = p.patterns
        q.pay_gaps = set(p.pay_gaps)
        q.amount_factor = {}
        q.account_changes = []
        q.pay_from = mi + 1
        q.status = "ACTIVE"
        p.pay_to = mi
        p.status = "TERMINATED"
        p.twin = q
        q.twin = p
        q.is_twin_row = True
        self.persons.append(q)
        return q

    def unemployment_before_retirement(self, p, overlap):
        """UNEMPLOYMENT for the months before retirement; the last job ends before them
        (overlap=0) or a REGULAR spell covers `overlap` of them."""
        rng = self.rng
        ret_m = month_index(p.ret_date)
        months = rng.randint(3, 9)
        first = ret_m - months
        if first < self.first_month:
            first = self.first_month
        months = ret_m - first
        if months < 2:
            return False
        amount = round(rng.uniform(1500, 2100), 2)
        # cut the career at the start of unemployment
        keep = []
        for row in p.spells:
            s = self.parse_month(row["start_month"])
            e = self.parse_month(row["end_month"])
            if s >= first:
                continue
            if e >= first:
                row["end_month"] = month_str(first - 1)
                row["paid_date"] = (month_start(first) + dt.timedelta(days=10)).isoformat()
                row["recorded_at"] = ts(month_start(first) + dt.timedelta(days=11), 10, 0)
            keep.append(row)
        p.spells = keep
        for mi in range(first, ret_m):
            pd = next_weekday(month_start(mi) + dt.timedelta(days=rng.randint(14, 20)))
            if pd <= self.as_of:
                p.extra_payments.append(("UNEMPLOYMENT", mi, amount, "", pd, "BANK"))
        if overlap:
            s = first + (months - overlap) if overlap < months else first
            code, ind, _ = rng.choice(self.employers[p.region][25:])
            self.spell(p, code, ind, "NORMAL", s, ret_m - 1)
        return True

    @staticmethod
    def parse_month(s):
        y, m = s.split("-")
        return int(y) * 12 + int(m) - 1

    # ---------------------------------------------------------- pattern planting
    def count(self, rate):
        x = self.n * rate * self.scale
        c = int(x)
        if self.rng.random() < x - c:
            c += 1
        return max(c, 1)

    def pick(self, k, cond=lambda p: True):
        """k honest, living, untouched persons satisfying cond (singles preferred)."""
        cands = [p for p in self.persons if not p.patterns and p.alive and not p.twin
                 and not p.prison and not p.account_changes and p.profile != "emigrant"
                 and cond(p)]
        self.rng.shuffle(cands)
        return cands[:k]

    def add_new(self, p):
        self.persons.append(p)
        return p

    def plant_deceased_paid(self):
        rng = self.rng
        for p in self.pick(self.count(0.006), lambda p: p.ret_date < self.window_start):
            d = self.window_start + dt.timedelta(days=rng.randint(20, 560))
            self.kill(p, d)
            p.patterns.add("DECEASED_PAID")
            dm = month_index(d)
            v = self.harder(rng.random(), 0.8, 1.0)
            if v < 0.4:  # reported on time, the fund never stopped
                p.notes.append("deceased: reported on time, paid to as-of")
                rep = d + dt.timedelta(days=rng.randint(3, 30))
                p.pay_to = self.last_month
                p.status = "ACTIVE"
            elif v < 0.8:  # reported months late, then stopped
                p.notes.append("deceased: reported late, paid until report")
                rep = d + dt.timedelta(days=rng.randint(90, 300))
                p.pay_to = min(month_index(rep), self.last_month)
                p.status = "TERMINATED"
            else:  # hard: one or two months too many
                p.notes.append("deceased: hard, 1-2 months")
                rep = d + dt.timedelta(days=rng.randint(30, 60))
                p.pay_to = dm + rng.randint(1, 2)
                p.status = "TERMINATED"
            if rep > self.as_of - dt.timedelta(days=3):
                rep = self.as_of - dt.timedelta(days=3)
            if p.pay_to <= dm:
                p.pay_to = dm + 1
            self.reg(p, "DEATH", d, rep)
            if rng.random() < 0.5:
                self.hospital_death(p, d)
            p.card_use_after = rng.random() < 0.7

    def plant_concealed_death(self, people=None, label_extra=None):
        rng = self.rng
        targets = people if people is not None else self.pick(
            self.count(0.008), lambda p: p.ret_date < self.window_start)
        for p in targets:
            back = rng.randint(60, 700) if label_extra is None else rng.randint(200, 700)
            d = self.as_of - dt.timedelta(days=back)
            if d <= p.ret_date:
                d = p.ret_date + dt.timedelta(days=40)
            self.kill(p, d)
            p.patterns.add("CONCEALED_DEATH")
            if label_extra:
                p.patterns.add(label_extra)
            p.pay_to = self.last_month
            p.status = "ACTIVE"
            p.card_use_after = True
            v = self.harder(rng.random(), 0.6, 1.0)
            if self.var("hardfraud") and self.vrng.random() < 0.8:
                p.mimic = True  # the family keeps the person's own card habits going
                p.notes.append("concealed: hardfraud, relatives mimic the person's habits")
            p.notes.append("concealed: %s, died %d days before as-of" % (
                "cremation" if v < 0.3 else "hospital DIED" if v < 0.6 else "no record", back))
            if v < 0.3:
                self.reg(p, "CREMATION", d + dt.timedelta(days=rng.randint(2, 6)),
                         d + dt.timedelta(days=rng.randint(7, 60)))
            elif v < 0.6:
                self.hospital_death(p, d)
            # else: no record at all (hard)

    def plant_prison_paid(self):
        rng = self.rng
        for p in self.pick(self.count(0.0015), lambda p: p.ret_date < self.window_start):
            d = self.as_of - dt.timedelta(days=rng.randint(70, 600))
            rep = d + dt.timedelta(days=rng.randint(5, 60))
            self.reg(p, "PRISON_IN", d, rep)
            p.prison.append((d, None))
            p.patterns.add("PRISON_PAID")
            p.card_use_after = True
            if self.harder(rng.random(), 0.0, 0.25) < 0.25:  # hard: two months, then suspended
                p.notes.append("prison: hard, two months")
                p.pay_gaps.update(range(month_index(d) + 3, self.last_month + 1))
                p.status = "SUSPENDED"

    def plant_duplicate_receipt(self):
        rng = self.rng
        for p in self.pick(self.count(0.004), lambda p: not p.household and
                           p.ret_date < self.window_start - dt.timedelta(days=400)):
            q = self.transfer(p, 0)
            p.patterns.add("DUPLICATE_RECEIPT")
            q.patterns = p.patterns
            set_account(q, self.new_account())
            q.benefit = round(p.benefit * rng.uniform(0.9, 1.1), 2)
            if self.harder(rng.random(), 0.7, 1.0) < 0.7:  # registered twice long ago
                p.pay_to = None
                p.status = "ACTIVE"
                q.pay_from = None
                q.ret_date = p.ret_date + dt.timedelta(days=rng.choice((0, 31, 92, 365)))
                q.ret_date = q.ret_date.replace(day=1)
                p.notes.append("duplicate: both paying")
            else:  # hard: a move whose old region kept paying three more months
                p.notes.append("duplicate: hard, 3-month overlap")
                mi = month_index(self.window_start) + rng.randint(3, 15)
                q.pay_from = mi + 1
                p.pay_to = mi + 3
                p.status = "ACTIVE" if rng.random() < 0.5 else "TERMINATED"
            if rng.random() < 0.5:
                q.phone = self.new_phone()

    def plant_shared_account(self):
        rng = self.rng
        total = self.count(0.006)
        done = 0
        while done < total:
            k = 2 if self.harder(rng.random(), 0.0, 0.25, share=0.7) < 0.25 else rng.randint(3, 6)
            region = rng.choice(list(REGIONS))
            group = self.pick(k, lambda p: p.region == region and not p.household)
            if len(group) < 2:
                break
            agent = self.new_account("621799")
            for p in group:
                p.notes.append("shared: group of %d" % len(group))
            since = self.window_start - dt.timedelta(days=rng.randint(-300, 900))
            for p in group:
                p.patterns.add("SHARED_ACCOUNT")
                if since > self.window_start:
                    p.account_changes.append((since + dt.timedelta(days=rng.randint(0, 20)),
                                              agent, "BANK"))
                else:
                    set_account(p, agent)
            done += len(group)

    def plant_account_hijack(self):
        rng = self.rng
        total = self.count(0.003)
        done = 0
        while done < total:
            ring = self.harder(rng.random(), 0.3, 1.0, share=0.7) < 0.3
            k = rng.randint(2, 3) if ring else 1
            group = self.pick(k, lambda p: p.ret_date < self.window_start and
                              p.profile in ("active", "ordinary", "app", "frail"))
            if not group:
                break
            ecny = rng.random() < 0.3
            new = ("0021%015d" % rng.getrandbits(48) if ecny else self.new_account("623501"))
            for p in group:
                d = self.as_of - dt.timedelta(days=rng.randint(40, 500))
                p.account_changes.append((d, new, "ECNY" if ecny else "BANK"))
                p.patterns.add("ACCOUNT_HIJACK")
                p.notes.append("hijack: %s%s on %s" % ("ring " if ring else "",
                                                       "ecny" if ecny else "bank", d))
                if ring:
                    p.patterns.add("SHARED_ACCOUNT")
                p.quiet_around = d  # no counter or app sign within 45 days of the change
                if self.var("hardfraud") and self.vrng.random() < 0.6:
                    # someone with the person's id card made the change at a counter
                    p.extra_signals.append(("BANK_COUNTER", ts(d, self.vrng.randint(9, 16),
                                            self.vrng.randint(0, 59)), "BR-%s-%02d" % (
                                                p.district, self.vrng.randint(1, 9)), "变更账户"))
                    p.notes.append("hijack: hardfraud, counter visit with the id card on %s" % d)
            done += len(group)

    def plant_fake_special_job(self):
        rng = self.rng
        for _ in range(self.count(0.004)):
            sex = "M" if rng.random() < 0.8 else "F"
            job = rng.choice(list(SPECIAL_MIN_YEARS))
            p = self.make_person(sex=sex, scheme="EMPLOYEE", ret_type="SPECIAL_JOB",
                                 years_retired=rng.uniform(0.3, 9))
            years = (SPECIAL_MIN_YEARS[job] - 1 if self.harder(rng.random(), 0.0, 0.3) < 0.3
                     else rng.randint(1, 5))
            if self.harder(rng.random(), 0.15, 1.0) < 0.15:
                years = 0  # no hazardous spell at all
            p.notes.append("special: %s %d years (min %d)" % (job, years, SPECIAL_MIN_YEARS[job]))
            self.build_career(p, self.retirement_age(p), special=(job, years) if years else None)
            self.set_benefit(p)
            p.patterns.add("FAKE_SPECIAL_JOB")
            self.add_new(p)

    def honest_special_jobs(self):
        """Honest SPECIAL_JOB retirees get their hazardous years (make_person draws the type)."""
        rng = self.rng
        for p in self.persons:
            if p.ret_type == "SPECIAL_JOB" and not p.patterns:
                job = rng.choice(list(SPECIAL_MIN_YEARS))
                years = SPECIAL_MIN_YEARS[job] + rng.randint(0, 15)
                self.build_career(p, self.retirement_age(p), special=(job, years))
                self.set_benefit(p)

    def plant_fake_disability(self):
        rng = self.rng
        total = self.count(0.004)
        mill_region = rng.choice(list(REGIONS))
        mill_doctor = "DR%s%03d" % (mill_region, 90 + rng.randint(0, 9))
        mill_day = self.as_of - dt.timedelta(days=rng.randint(300, 1500))
        for _ in range(total):
            sex = rng.choice("MF")
            age = rng.randint(50, 56) if sex == "M" else rng.randint(45, 49)
            v = self.harder(rng.random(), 0.8, 1.0, share=0.6)
            region = mill_region if v < 0.5 else None
            p = self.make_person(region=region, sex=sex, scheme="EMPLOYEE",
                                 ret_type="DISABILITY", ret_age=age,
                                 years_retired=rng.uniform(0.2, 4.5))
            p.appraisals = []
            if v < 0.5:  # the mill doctor: complete loss for everyone, within months
                ad = min(mill_day + dt.timedelta(days=rng.randint(0, 400)),
                         p.ret_date - dt.timedelta(days=20))
                p.appraisals.append(self.appraisal(p, ad, rng.randint(1, 4), "COMPLETE_LOSS",
                                                   mill_doctor))
                if p.profile != "silent":
                    p.profile = "active"
            elif v < 0.8:  # grade says partial, conclusion says complete
                ad = p.ret_date - dt.timedelta(days=rng.randint(30, 150))
                p.appraisals.append(self.appraisal(p, ad, rng.randint(5, 8), "COMPLETE_LOSS",
                                                   rng.choice(self.doctors[p.region])))
            else:  # hard: the appraisal was written after the retirement
                ad = min(p.ret_date + dt.timedelta(days=rng.randint(40, 200)),
                         self.as_of - dt.timedelta(days=5))
                p.appraisals.append(self.appraisal(p, ad, rng.randint(1, 4), "COMPLETE_LOSS",
                                                   rng.choice(self.doctors[p.region])))
            p.patterns.add("FAKE_DISABILITY")
            p.notes.append("disability: " + ("mill" if v < 0.5 else "grade" if v < 0.8 else
                                             "hard, appraisal after retirement"))
            if v < 0.5:
                p.mill_day = mill_day
            self.add_new(p)

    def plant_age_falsified(self):
        rng = self.rng
        for _ in range(self.count(0.004)):
            sex = rng.choice("MF")
            shift = 1 if self.harder(rng.random(), 0.0, 0.25) < 0.25 else rng.randint(2, 6)
            p = self.make_person(sex=sex, scheme=rng.choice(("EMPLOYEE", "EMPLOYEE", "PUBLIC")),
                                 ret_type="NORMAL", years_retired=rng.uniform(0.2, 8))
            true_birth = add_years(p.id_birth, shift)
            if true_birth >= p.ret_date - dt.timedelta(days=365 * 40):
                continue
            fake_birth = p.id_birth
            # the id keeps the true (later) birth date; the registry holds the fake one
            self.used_ids.discard(p.pid)
            addr = p.pid[:6]
            p.id_birth = true_birth
            p.pid = self.new_id(addr, true_birth, p.sex)
            self.build_career(p, self.retirement_age(p))
            self.set_benefit(p)
            p.reg_birth = fake_birth
            if rng.random() < 0.7:
                cd = p.ret_date - dt.timedelta(days=rng.randint(200, 1400))
                self.reg(p, "ID_CHANGE", cd, cd + dt.timedelta(days=rng.randint(1, 30)),
                         "birth_date:%s->%s" % (true_birth.isoformat(), fake_birth.isoformat()))
            p.patterns.add("AGE_FALSIFIED")
            p.notes.append("age: shift %d years, %s" % (
                shift, "ID_CHANGE" if any(r["event"] == "ID_CHANGE" for r in p.registry)
                else "registry birth only"))
            self.add_new(p)

    def plant_backpay_abuse(self):
        rng = self.rng
        for _ in range(self.count(0.004)):
            p = self.make_person(scheme="EMPLOYEE", ret_type="NORMAL",
                                 years_retired=rng.uniform(0.1, 7))
            hard = self.harder(rng.random(), 0.0, 0.3) < 0.3
            bought = rng.randint(2, 4) if hard else rng.randint(5, 10)
            regular = 15 - bought + rng.randint(0, 1)
            self.build_career(p, self.retirement_age(p), regular_years=regular)
            first = min(self.parse_month(r["start_month"]) for r in p.spells)
            paid = p.ret_date - dt.timedelta(days=rng.randint(15, 180))
            flex = "FLEX%s%08d" % (p.region, rng.randint(0, 10 ** 8 - 1))
            base = self.wage(paid.year) * rng.uniform(1.5, 3.0)
            self.spell(p, flex, "S94", "NORMAL", first - bought * 12, first - 1,
                       kind="BACK_PAYMENT", paid=paid, base=base)
            self.set_benefit(p)
            p.patterns.add("BACKPAY_ABUSE")
            p.notes.append("backpay: bought %d years, regular %d" % (bought, regular))
            self.add_new(p)

    def plant_unemployed_while_employed(self):
        rng = self.rng
        for _ in range(self.count(0.003)):
            for _try in range(20):
                p = self.make_person(scheme="EMPLOYEE", ret_type="NORMAL",
                                     years_retired=rng.uniform(0.05, (self.months - 6) / 12.0))
                overlap = rng.randint(2, 3) if self.harder(rng.random(), 0.0, 0.3) < 0.3 else 99
                if self.unemployment_before_retirement(p, overlap=overlap):
                    break
            else:
                continue
            p.patterns.add("UNEMPLOYED_WHILE_EMPLOYED")
            p.notes.append("unemployed: overlap %s" % ("full" if overlap == 99 else overlap))
            self.add_new(p)

    def plant_forged_identity(self):
        rng = self.rng
        total = self.count(0.003)
        made = []
        real = [p for p in self.persons if not p.patterns and p.alive]
        ring_phone = self.new_phone()
        ring_addr = None
        ring_members = 0
        for i in range(total):
            v = self.harder(rng.random(), 0.35, 1.0)
            scheme = rng.choice(("EMPLOYEE", "RESIDENT"))
            p = self.make_person(scheme=scheme, years_retired=rng.uniform(0.5, 10),
                                 ret_type="NORMAL" if scheme == "EMPLOYEE" else "RESIDENT_AGE")
            p.fabricated = True
            p.alive = False
            p.profile = "fabricated"
            p.patterns.add("FORGED_IDENTITY")
            p.notes.append("forged: " + ("bad check" if v < 0.35 else "clone" if v < 0.75
                                         else "ring"))
            if v < 0.35:  # a check character that fails
                self.used_ids.discard(p.pid)
                p.pid = self.new_id(p.pid[:6], p.id_birth, p.sex, valid=False)
            elif v < 0.75:  # a clone of a real person's name and birth date
                src = rng.choice(real)
                self.used_ids.discard(p.pid)
                p.sex, p.name, p.id_birth, p.reg_birth = src.sex, src.name, src.id_birth, \
                    src.reg_birth
                p.pid = self.new_id(rng.choice(OTHER_PROVINCE_CODES), src.id_birth, src.sex)
                p.phone = ring_phone if rng.random() < 0.5 else self.new_phone()
                if self.var("hardfraud"):  # a phone of its own
                    p.phone = self.new_phone(rng=self.vrng)
            else:  # a ring of made-up persons sharing one phone and address
                if self.var("hardfraud") and ring_members and ring_members % 4 == 0:
                    ring_phone = self.new_phone(rng=self.vrng)  # rings of four per phone
                ring_members += 1
                p.phone = ring_phone
                if ring_addr is None:
                    ring_addr = p.address
                p.address = ring_addr
            for row in p.spells + p.appraisals:
                row["person_id"] = p.pid
            if rng.random() < 0.6:
                p.spells = []  # nobody ever contributed for a person who does not exist
            made.append(p)
            self.add_new(p)
        return made

    def plant_amount_anomaly(self):
        rng = self.rng
        for p in self.pick(self.count(0.003), lambda p: p.ret_date < self.window_start):
            v = self.harder(rng.random(), 0.5, 0.8)
            start = rng.randint(self.first_month, self.last_month - 2)
            p.notes.append("amount: " + ("x3-8" if v < 0.5 else "hard x1.4-1.8"
                                         if v < 0.8 else "one x10"))
            if v < 0.5:
                k = rng.uniform(3, 8)
                for mi in range(start, min(start + rng.randint(3, 12), self.last_month + 1)):
                    p.amount_factor[mi] = k
            elif v < 0.8:  # hard: a subtle raise for four months or more
                k = rng.uniform(1.4, 1.8)
                if self.var("hardfraud"):
                    k = self.vrng.uniform(1.2, 1.3)
                    p.notes.append("amount: hardfraud x%.3f" % k)
                start = rng.randint(self.first_month, self.last_month - 4)
                for mi in range(start, self.last_month + 1):
                    p.amount_factor[mi] = k
            else:
                p.amount_factor[start] = 10.0
            p.patterns.add("AMOUNT_ANOMALY")

    def plant_face_reuse(self):
        rng = self.rng
        total = self.count(0.004)
        done = 0
        while done < total:
            k = rng.randint(3, 6)
            region = rng.choice(list(REGIONS))
            group = self.pick(k, lambda p: p.region == region and p.ret_date < self.window_start
                              and not p.household)
            if len(group) < 2:
                break
            device = self.new_device()
            hard = self.harder(rng.random(), 0.0, 0.3) < 0.3
            dead = [p for p in group if rng.random() < 0.5]
            self.plant_concealed_death(dead, label_extra="FACE_REUSE")
            # rounds: one per year, the latest within the last 12 months
            rounds = []
            d = self.as_of - dt.timedelta(days=rng.randint(20, 300))
            while d > self.signal_start:
                rounds.append(d)
                d -= dt.timedelta(days=rng.randint(330, 390))
            for day in rounds:
                t = rng.randint(9 * 60, 19 * 60)
                for p in group:
                    p.extra_signals.append(("FACE_CERT", ts(day, t // 60, t % 60,
                                                            rng.randint(0, 59)), device, "PASS"))
                    t += rng.randint(60, 180) if hard else rng.randint(1, 6)
                    t = min(t, 23 * 60 + 50)
            for p in group:
                p.notes.append("face reuse: %s, group %d" % ("hard" if hard else "minutes",
                                                             len(group)))
                p.patterns.add("FACE_REUSE")
                if p.alive:  # lives elsewhere, never seen; the card is used here
                    p.absent_from = self.signal_start
                    p.card_use_after = True
                    p.profile = "reused"
            done += len(group)

    def plant_anomaly(self):
        rng = self.rng
        for p in self.pick(self.count(0.001), lambda p: p.ret_date < self.window_start):
            v = rng.random()
            if v < 0.34 or p.scheme != "RESIDENT":
                if p.scheme == "RESIDENT":  # a resident pension of employee size, paid so
                    p.benefit = round(rng.uniform(3800, 5200), 2)
                    p.notes.append("anomaly: big resident pension")
                else:  # a new e-CNY wallet every month
                    p.rotating_wallets = True
                    p.notes.append("anomaly: rotating wallets")
            else:
                p.prepaid_year = True
                p.notes.append("anomaly: a year prepaid")
            p.patterns.add("ANOMALY")

    # ---------------------------------------------------------- emitting rows
    def paid_date(self, region, mi):
        day = REGIONS[region][1]
        d = month_start(mi) + dt.timedelta(days=day - 1 + self.rng.choice((0, 0, 0, 1, 2)))
        return next_weekday(d)

    def level(self, p, mi):
        """The regular monthly amount: about 2 % lower before each January's rise until the
        July catch-up."""
        y, m = month_of(mi)
        steps = max(0, self.as_of.year - y) + (1 if m < 7 and y >= 2025 else 0)
        if y == self.as_of.year and m >= 7:
            steps = 0
        return p.benefit / (1.02 ** steps)

    def account_at(self, p, d):
        acc, channel = p.account_initial, "BANK"
        for cd, new, ch in sorted(p.account_changes):
            if cd <= d:
                acc, channel = new, ch
        return acc, channel

    def emit_payments(self, p, out):
        rng = self.rng
        ret_m = month_index(p.ret_date)
        first = max(self.first_month, ret_m, p.pay_from if p.pay_from is not None else 0)
        last = min(self.last_month, p.pay_to if p.pay_to is not None else self.last_month)
        lag = rng.choice((0, 1, 1, 2)) if ret_m >= self.first_month else 0
        prepaid = getattr(p, "prepaid_year", False)
        lumpy = getattr(p, "lumpy", False)
        vr = self.vrng
        carry, recalc = 0, None
        if lumpy and vr.random() < 0.15:
            # a recalculation (years found later) raised the benefit from month recalc on;
            # the months before it in the history were paid at the old amount and the
            # difference comes back as one supplement row in the month of the recalculation
            recalc = (vr.randint(first + 1, last) if last > first else None,
                      vr.uniform(0.05, 0.15))
        for mi in range(first, last + 1):
            if mi in p.pay_gaps:
                continue
            pay_m = max(mi, ret_m + lag)
            pd = self.paid_date(p.region, pay_m)
            if prepaid and mi >= self.last_month - 11:
                pd = self.paid_date(p.region, self.last_month - 11)
            factor, supplement = 1.0, 0.0
            if lumpy:  # honest irregularity of the payroll
                x = vr.random()
                if x < 0.03:  # missed the run, paid with the next month's run
                    pd = self.paid_date(p.region, pay_m + 1)
                elif x < 0.045:  # held back two or three months, paid on its own
                    pd = self.paid_date(p.region, pay_m + vr.randint(2, 3))
                elif x < 0.06 and mi < last:  # skipped; next month's row pays both
                    carry += 1
                    continue
                elif x < 0.075:  # an earlier overpayment or a court order deducted
                    factor = vr.uniform(0.5, 0.8)
                elif x < 0.095:  # an allowance or correction as a second row
                    supplement = round(vr.uniform(30, 300), 2)
                if recalc and recalc[0] is not None:
                    if mi < recalc[0]:
                        factor /= 1 + recalc[1]
                    elif mi == recalc[0]:
                        supplement += sum(self.level(p, m2) * recalc[1] / (1 + recalc[1])
                                          for m2 in range(first, mi))
                factor *= 1 + carry
                carry = 0
            if pd > self.as_of:
                continue
            amount = self.level(p, mi) * p.amount_factor.get(mi, 1.0) * factor
            acc, channel = self.account_at(p, pd)
            if getattr(p, "rotating_wallets", False) and mi >= self.last_month - 10:
                acc, channel = "0021%015d" % rng.getrandbits(48), "ECNY"
            out.append(self.payment(p, "PENSION", mi, amount, acc, channel, pd))
            if supplement:
                out.append(self.payment(p, "PENSION", mi, supplement, acc, channel, pd))
            y, m = month_of(mi)
            if m == 7 and y >= 2025 and mi >= ret_m + 6:  # the January rise, paid late
                out.append(self.payment(p, "PENSION", mi, 6 * (p.benefit / 1.02 ** (
                    self.as_of.year - y) - self.level(p, mi - 1)), acc, channel, pd))
        for ben, mi, amount, acc, pd, channel in p.extra_payments:
            if ben == "WORK_INJURY_MONTHLY":
                for m2 in range(first, last + 1):
                    if m2 in p.pay_gaps:
                        continue
                    pd2 = self.paid_date(p.region, m2) + dt.timedelta(days=2)
                    if pd2 <= self.as_of:
                        a2, ch2 = self.account_at(p, pd2)
                        out.append(self.payment(p, "WORK_INJURY", m2, amount, a2, ch2, pd2))
                continue
            out.append(self.payment(p, ben, mi, amount, acc or self.account_at(p, pd)[0],
                                    channel or "BANK", pd))

    def payment(self, p, benefit, mi, amount, acc, channel, pd):
        self.payment_seq += 1
        return {"payment_id": "PAY%s%09d" % (p.region, self.payment_seq), "person_id": p.pid,
                "region": p.region, "benefit": benefit, "period": month_str(mi),
                "amount": money(max(amount, 0.01)), "bank_account": acc, "channel": channel,
                "paid_date": pd.isoformat(), "batch": "B%s%s" % (p.region, month_str(mi))}

    def poisson(self, lam):
        if lam <= 0:
            return 0
        if lam > 30:
            return max(0, int(round(self.rng.gauss(lam, math.sqrt(lam)))))
        L, k, prod = math.exp(-lam), 0, self.rng.random()
        while prod > L:
            k += 1
            prod *= self.rng.random()
        return k

    def day_in(self, mi, lo=None, hi=None):
        a = month_start(mi)
        b = month_end(mi)
        if lo and lo > a:
            a = lo
        if hi and hi < b:
            b = hi
        if a > b:
            return None
        return a + dt.timedelta(days=self.rng.randint(0, (b - a).days))

    def emit_signals(self, p, out):
        """The person's own life signals by profile, then relatives' card use after death or
        absence, then the planted extra signals."""
        rng = self.rng
        if p.fabricated:
            if check_char(p.pid[:17]) != p.pid[17]:
                return  # other agencies never see an id that fails the check
            for mi in range(self.first_month, self.last_month + 1):
                if rng.random() < 0.7:
                    d = self.day_in(mi)
                    out.append((p.pid, "BANK_ACTIVITY", ts(d, rng.randint(8, 22),
                                rng.randint(0, 59), rng.randint(0, 59)), "", "取款"))
                if self.var("hardfraud") and p.phone and self.vrng.random() < 0.8:
                    # the forger keeps a phone in the made-up name active
                    d = self.day_in(mi)
                    out.append((p.pid, "TELECOM", ts(d, self.vrng.randint(8, 22),
                                self.vrng.randint(0, 59), self.vrng.randint(0, 59)), "", "通话"))
            return
        start = max(self.signal_start, p.ret_date - dt.timedelta(days=365))
        end = self.as_of
        if p.signals_until:
            end = min(end, p.signals_until)
        if p.absent_from:
            end = min(end, p.absent_from)
        prof = p.profile
        rates = {  # per month
            "active": {"BANK_ACTIVITY": 2, "TRANSIT": 2.5, "TELECOM": 1, "MEDICAL_SETTLEMENT": 0.5,
                       "TRAVEL": 0.2, "BANK_COUNTER": 0.08, "GOV_SERVICE": 0.03},
            "ordinary": {"BANK_ACTIVITY": 1.2, "TRANSIT": 0.6, "TELECOM": 1,
                         "MEDICAL_SETTLEMENT": 1, "TRAVEL": 0.03, "BANK_COUNTER": 0.05},
            "frail": {"BANK_ACTIVITY": 1, "MEDICAL_SETTLEMENT": 2.5, "TELECOM": 0.6},
            "app": {"BANK_ACTIVITY": 3, "TELECOM": 1, "MEDICAL_SETTLEMENT": 0.3},
            "emigrant": {"BANK_ACTIVITY": 1},
            "silent": {"TELECOM": 0.3, "BANK_ACTIVITY": 0.3},
            "reused": {},
        }[prof]
        if not p.phone:
            rates = dict(rates)
            rates.pop("TELECOM", None)
        if self.var("appcert"):  # counters and desks rare: the app does the business
            for src in ("BANK_COUNTER", "GOV_SERVICE"):
                if src in rates:
                    rates[src] *= 0.2
        if self.var("quiet") and prof == "silent":  # a pharmacy visit about once a year
            rates["MEDICAL_SETTLEMENT"] = 0.1
        if self.var("sparse"):  # the agencies share half the rows
            rates = {src: lam / 2 for src, lam in rates.items()}
        hours = {"BANK_ACTIVITY": (7, 22), "TRANSIT": (6, 19), "TELECOM": (0, 23),
                 "MEDICAL_SETTLEMENT": (8, 18), "TRAVEL": (6, 21), "BANK_COUNTER": (9, 16),
                 "GOV_SERVICE": (9, 16)}
        city_code = p.region
        habit = self.habits(p, "self")
        # shift / movers: from switch_on the person's cards follow other habits
        habit2, switch_on, rates2, city2 = None, None, rates, city_code
        if getattr(p, "shift_on", None):
            switch_on = p.shift_on
            habit2 = self.habits(p, "shift")
            habit2["hour"] = min(20.5, max(6.5, habit["hour"] + p.shift_hours))
            if p.shift_drop_bus and "TRANSIT" in rates:
                rates2 = dict(rates)
                rates2.pop("TRANSIT")
                rates2["MEDICAL_SETTLEMENT"] = 2 * rates.get("MEDICAL_SETTLEMENT", 0.5)
        moved_on = getattr(p.twin, "moved_on", None) if p.twin else None
        if moved_on:  # the same person's habits in the streets of the new city
            switch_on, city2 = moved_on, p.twin.region
            habit2 = self.habits(p, "self", district=p.twin.district, region=p.twin.region)
        for mi in range(month_index(start), month_index(end) + 1):
            if self.in_prison_month(p, mi):
                continue
            month_rates = rates2 if switch_on and mi >= month_index(switch_on) else rates
            for src, lam in month_rates.items():
                for _ in range(self.poisson(lam)):
                    d = self.day_in(mi, start, end)
                    if d is None or self.in_prison(p, d):
                        continue
                    if getattr(p, "quiet_around", None) and src in IN_PERSON and \
                            abs((d - p.quiet_around).days) < 45:
                        continue
                    h0, h1 = hours[src]
                    hb, cc = (habit2, city2) if switch_on and d >= switch_on else (habit,
                                                                                city_code)
                    place = self.place(p, src, cc, hb)
                    detail = {"TRAVEL": "火车票", "TELECOM": "通话", "BANK_ACTIVITY": "消费",
                              "TRANSIT": "公交", "MEDICAL_SETTLEMENT": "购药",
                              "BANK_COUNTER": "柜面业务", "GOV_SERVICE": "政务办理"}[src]
                    out.append((p.pid, src, ts(d, self.hour(hb, src, h0, h1),
                                               rng.randint(0, 59), rng.randint(0, 59)),
                                place, detail))
        self.yearly_proofs(p, start, end, out)
        if p.card_use_after:
            after = (p.death or p.absent_from or (p.prison[0][0] if p.prison else None))
            if after:
                mimic = getattr(p, "mimic", False)
                # a relative's own habits, same street; hardfraud: the person's own
                habit = self.habits(p, "self" if mimic else "relative")
                for mi in range(month_index(after) + 1, self.last_month + 1):
                    if mimic:  # the person's card streams at the person's own rates
                        streams = [(src, lam) for src, lam in rates.items() if src in (
                            "BANK_ACTIVITY", "TELECOM", "MEDICAL_SETTLEMENT", "TRANSIT")]
                    else:
                        streams = (("BANK_ACTIVITY", 1.5), ("TELECOM", 0.7 if p.phone else 0),
                                   ("MEDICAL_SETTLEMENT", 0.4 if rng.random() < 0.5 else 0))
                        if self.var("sparse"):
                            streams = [(src, lam / 2) for src, lam in streams]
                    for src, lam in streams:
                        for _ in range(self.poisson(lam)):
                            d = self.day_in(mi, None, self.as_of)
                            if d:
                                h0, h1 = hours[src] if mimic else (7, 22)
                                out.append((p.pid, src, ts(d, self.hour(habit, src, h0, h1),
                                            rng.randint(0, 59), rng.randint(0, 59)),
                                            self.place(p, src, city_code, habit), "代办"))
        if getattr(p, "phone_after", False):
            for mi in range(month_index(p.death) + 1, self.last_month + 1):
                if self.var("sparse") and self.vrng.random() < 0.5:
                    continue
                d = self.day_in(mi, None, self.as_of)
                if d:
                    out.append((p.pid, "TELECOM", ts(d, rng.randint(7, 22), rng.randint(0, 59),
                                                     rng.randint(0, 59)), "", "通话"))
        for src, when, place, detail in p.extra_signals:
            if when[:10] <= self.as_of.isoformat():
                out.append((p.pid, src, when, place, detail))

    def in_prison(self, p, d):
        for a, b in p.prison:
            if a <= d and (b is None or d <= b):
                return True
        return False

    def in_prison_month(self, p, mi):
        return self.in_prison(p, month_start(mi)) and self.in_prison(p, month_end(mi))

    def habits(self, p, who, district=None, region=None):
        """A card holder's habits: a few pharmacies, bus lines and ATMs near home, and the
        time of day they go out. A relative using the cards has habits of their own but
        lives on the same streets (one pharmacy in common). district/region: the same
        person's habits in the streets of another home (movers)."""
        district = district or p.district
        region = region or p.region
        r = random.Random("%s/%s/%s" % (p.pid, who, self.seed))
        own = random.Random("%s/self/%s" % (p.pid, self.seed))
        h = {"MEDICAL_SETTLEMENT": ["PH-%s-%03d" % (district, r.randint(1, 40))
                                    for _ in range(2)],
             "TRANSIT": ["BUS-%s-%03d" % (region, r.randint(1, 180)) for _ in range(3)],
             "BANK_ACTIVITY": ["ATM-%s-%03d" % (district, r.randint(1, 90)) for _ in range(2)],
             "hour": r.uniform(8.5, 16.5)}
        if who == "relative":
            h["MEDICAL_SETTLEMENT"][0] = "PH-%s-%03d" % (p.district, own.randint(1, 40))
            h["hour"] = r.uniform(7, 21)
        return h

    def hour(self, habit, src, h0, h1):
        if src == "TELECOM":
            return min(23, max(0, int(round(self.rng.gauss(habit["hour"] + 2, 4)))))
        return min(h1, max(h0, int(round(self.rng.gauss(habit["hour"], 1.8)))))

    def place(self, p, src, region, habit=None):
        rng = self.rng
        if habit and src in habit and rng.random() < 0.85:
            if src == "TRANSIT" and rng.random() < 0.2:
                return ""  # some buses report no line
            if src == "BANK_ACTIVITY" and rng.random() < 0.7:
                return ""  # app and card payments carry no place
            return rng.choice(habit[src])
        if src == "TRANSIT":
            return "BUS-%s-%03d" % (region, rng.randint(1, 180)) if rng.random() < 0.8 else ""
        if src == "MEDICAL_SETTLEMENT":
            return "PH-%s-%03d" % (p.district, rng.randint(1, 40))
        if src == "TRAVEL":
            return rng.choice(("STN-济南西", "STN-青岛北", "STN-淄博", "STN-枣庄",
                               "STN-东营南", "AIR-TNA", "AIR-TAO"))
        if src == "BANK_COUNTER":
            return "BR-%s-%02d" % (p.district, rng.randint(1, 9))
        if src == "GOV_SERVICE":
            return "GOV-%s" % p.district
        if src == "BANK_ACTIVITY":
            return "ATM-%s-%03d" % (p.district, rng.randint(1, 90)) if rng.random() < 0.3 else ""
        return ""

    def yearly_proofs(self, p, start, end, out):
        """Annual proof of life: face certification, counter visit, field visit, care home."""
        rng = self.rng
        prof = p.profile
        y0, y1 = start.year, end.year
        for y in range(y0, y1 + 1):
            cm = p.cert_month
            d = dt.date(y, cm, rng.randint(1, 28)) + dt.timedelta(days=rng.randint(-20, 20))
            if d < start or d > end or self.in_prison(p, d):
                continue
            if getattr(p, "quiet_around", None) and abs((d - p.quiet_around).days) < 45:
                d = p.quiet_around + dt.timedelta(days=rng.choice((-1, 1)) * rng.randint(50, 80))
                if d < start or d > end:
                    continue
            if rng.random() < 0.03 and prof != "emigrant":
                continue  # forgot this year
            hh, mm = rng.randint(8, 21), rng.randint(0, 59)
            if prof in ("active", "app") or (prof == "ordinary" and p.cert_month % 10 < 7):
                u = rng.random()
                place = p.device if u < 0.82 else (
                    "KIOSK-%s-%02d" % (p.district, rng.randint(1, 3)) if u < 0.95 else "")
                if self.var("appcert"):
                    place = self.app_place(p)
                if rng.random() < 0.1:
                    out.append((p.pid, "FACE_CERT", ts(d, hh, mm, 5), place, "FAIL"))
                out.append((p.pid, "FACE_CERT", ts(d, hh, min(mm + 2, 59), 40), place, "PASS"))
            elif prof == "ordinary":
                out.append((p.pid, "BANK_COUNTER", ts(d, rng.randint(9, 16), mm),
                            "BR-%s-%02d" % (p.district, rng.randint(1, 9)), "年度认证"))
                if self.var("appcert") and self.vrng.random() < 0.9:  # the app instead
                    out[-1] = (p.pid, "FACE_CERT", ts(d, hh, mm, 40), self.app_place(p), "PASS")
            elif prof == "emigrant":
                out.append((p.pid, "FACE_CERT", ts(d, rng.randint(0, 23), mm),
                            "OVERSEAS-%s" % p.device[4:10], "PASS"))
            elif prof == "frail":
                if p.care_home:
                    home, tablet = p.care_home
                    # the home certifies its residents on its tablet, one after another
                    cd = dt.date(y, 3, 10) + dt.timedelta(days=int(home[-2:]) * 7)
                    if start <= cd <= end:
                        out.append((p.pid, "FACE_CERT", ts(cd, 9 + rng.randint(0, 2),
                                    rng.randint(0, 59), rng.randint(0, 59)), tablet, "PASS"))
                    for mi in range(month_index(max(start, dt.date(y, 1, 1))),
                                    month_index(min(end, dt.date(y, 12, 31))) + 1):
                        for _ in range(1 if self.var("sparse") else 2):
                            dd = self.day_in(mi, start, end)
                            if dd:
                                out.append((p.pid, "CARE_HOME", ts(dd, rng.randint(8, 17),
                                            rng.randint(0, 59)), home, "在院"))
                elif rng.random() < 0.88:
                    out.append((p.pid, "FIELD_VISIT", ts(d, rng.randint(9, 17), mm),
                                "CMTY-%s-%02d" % (p.district, rng.randint(1, 12)), "入户核查"))
                if rng.random() < 0.6:  # a hospital stay
                    h = rng.choice(self.hospitals[p.region])
                    a = start + dt.timedelta(days=rng.randint(0, max(0, (end - start).days)))
                    if dt.date(y, 1, 1) <= a <= dt.date(y, 12, 31):
                        b = min(a + dt.timedelta(days=rng.randint(3, 20)), end)
                        out.append((p.pid, "HOSPITAL_ADMISSION", ts(a, rng.randint(0, 23),
                                    rng.randint(0, 59)), h, "住院"))
                        if b > a:
                            out.append((p.pid, "HOSPITAL_DISCHARGE", ts(b, rng.randint(9, 16),
                                        rng.randint(0, 59)), h,
                                        "CURED" if rng.random() < 0.9 else "TRANSFERRED"))
            elif prof == "silent" and y < self.as_of.year - 1:
                out.append((p.pid, "FACE_CERT", ts(d, hh, mm), p.device, "PASS"))

    def app_place(self, p):
        """appcert: the place of an app face certification: the household's phone or, as
        often, none at all (the app does not report the device); a kiosk now and then."""
        u = self.vrng.random()
        if u < 0.5:
            return ""
        if u < 0.95:
            return p.device
        return "KIOSK-%s-%02d" % (p.district, self.vrng.randint(1, 3))

    # ---------------------------------------------------------- contract breaks
    def plant_rejects(self, signals, registry):
        """A few rows that break the contract on purpose: other agencies' rows whose id
        fails the check character, and a registry row with an impossible date."""
        rng = self.rng
        k = max(2, self.n // 5000)
        for _ in range(k):
            src = rng.choice(signals)
            pid = src[0]
            bad = pid[:17] + rng.choice([c for c in "0123456789X" if c != pid[17]])
            signals.append((bad, "TELECOM", src[2], "", "通话"))
            self.planted_rejects.append(("signals.csv", bad, "id check character"))
        p = rng.choice([q for q in self.persons if not q.fabricated])
        bad = "%d-02-30" % self.as_of.year
        registry.append({"person_id": p.pid, "event": "MISSING", "event_date": bad,
                         "reported_date": self.as_of.isoformat(), "detail": ""})
        self.planted_rejects.append(("registry.csv", p.pid, "impossible date " + bad))


def write_csv(path, header, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        for r in rows:
            if isinstance(r, dict):
                w.writerow([r.get(h, "") for h in header])
            else:
                w.writerow(r)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--persons", type=int, required=True)
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--as-of", default="2026-10-31")
    ap.add_argument("--months", type=int, default=24)
    ap.add_argument("--fraud-scale", type=float, default=1.0)
    ap.add_argument("--variant", action="append", default=[], metavar="NAME",
                    help="change the city within the contract (repeatable or a comma list): "
                    + ", ".join(VARIANTS))
    args = ap.parse_args(argv)
    # The plantings' dates are drawn over spans of up to about two years (a death 20-560 days
    # into the window, a hijack 40-500 days before the date, a transfer 3-15 months in): with a
    # shorter history some would fall before the data or after the date, and the truth would
    # list patterns the feeds cannot show (measured with --months 12: deaths dated after the
    # date, transfers not yet made, switches before the first payment in the data).
    if args.persons < 50 or args.months < 24:
        ap.error("need --persons >= 50 and --months >= 24")
    args.variants = sorted({v.strip() for arg in args.variant for v in arg.split(",")
                            if v.strip()})
    unknown = [v for v in args.variants if v not in VARIANTS]
    if unknown:
        ap.error("unknown variant %s (known: %s)" % (", ".join(unknown), ", ".join(VARIANTS)))
    city = City(args)
    rng = city.rng

    # planted persons made new are counted inside N
    registry_cut = city.as_of.isoformat()
    planted_new = sum(city.count(r) for r in (0.004, 0.004, 0.004, 0.004, 0.003, 0.003))
    city.honest_population(max(10, args.persons - planted_new))
    city.honest_special_jobs()
    city.plant_fake_special_job()
    city.plant_fake_disability()
    city.plant_age_falsified()
    city.plant_backpay_abuse()
    city.plant_unemployed_while_employed()
    city.plant_forged_identity()
    city.assign_profiles()
    for p in city.persons:
        if p.fabricated:
            p.profile = "fabricated"
        if getattr(p, "mill_day", None) and p.profile in ("frail", "silent"):
            p.profile = "active"
        p.account_initial = p.account
    city.plant_deceased_paid()
    city.plant_concealed_death()
    city.plant_prison_paid()
    city.plant_face_reuse()
    city.plant_duplicate_receipt()
    city.plant_shared_account()
    city.plant_account_hijack()
    city.plant_amount_anomaly()
    city.plant_anomaly()
    city.honest_deaths()
    city.honest_events()
    for p in city.persons:
        if not hasattr(p, "account_initial"):
            p.account_initial = p.account
        if p.account_changes:
            p.account = sorted(p.account_changes)[-1][1]

    os.makedirs(os.path.join(args.out, "truth"), exist_ok=True)
    persons_rows, truth_rows, contrib, payments, signals, registry, appraisals = \
        [], [], [], [], [], [], []
    seen_pid = set()
    for p in city.persons:
        persons_rows.append({
            "person_id": p.pid, "region": p.region, "name": p.name,
            "birth_date": p.reg_birth.isoformat(), "sex": p.sex, "district": p.district,
            "scheme": p.scheme, "category": p.category, "retirement_date": p.ret_date.isoformat(),
            "retirement_type": p.ret_type, "monthly_benefit": money(p.benefit),
            "bank_account": p.account, "phone": p.phone, "address": p.address,
            "status": p.status})
        truth_rows.append({"person_id": p.pid, "region": p.region,
                           "alive": "1" if p.alive else "0",
                           "death_date": p.death.isoformat() if p.death else "",
                           "patterns": ";".join(sorted(p.patterns))})
        contrib.extend(p.spells)
        city.emit_payments(p, payments)
        if p.pid in seen_pid:  # the second row of the same person: feeds once per person
            continue
        seen_pid.add(p.pid)
        registry.extend(p.registry)
        appraisals.extend(p.appraisals)
        sig = []
        city.emit_signals(p, sig)
        signals.extend(sig)
    # the person's own truth (alive, death) is the same on both rows
    by_pid = {}
    for t, p in zip(truth_rows, city.persons):
        by_pid.setdefault(p.pid, []).append(t)
    for rows in by_pid.values():
        if len(rows) > 1:
            pats = sorted(set(";".join(r["patterns"] for r in rows).split(";")) - {""})
            for r in rows:
                r["patterns"] = ";".join(pats)
    # an extract as of the date: nothing reported later is in it
    registry = [r for r in registry if r["reported_date"] <= registry_cut]
    city.plant_rejects(signals, registry)
    rng.shuffle(signals)
    rng.shuffle(payments)

    out = args.out
    write_csv(os.path.join(out, "persons.csv"),
              ["person_id", "region", "name", "birth_date", "sex", "district", "scheme",
               "category", "retirement_date", "retirement_type", "monthly_benefit",
               "bank_account", "phone", "address", "status"], persons_rows)
    write_csv(os.path.join(out, "contributions.csv"),
              ["person_id", "region", "employer_id", "industry", "job_type", "start_month",
               "end_month", "monthly_base", "kind", "paid_date", "recorded_at"], contrib)
    # payments: columns in another order, an extra column, and split into two parts
    pay_header = ["paid_date", "payment_id", "region", "person_id", "benefit", "period",
                  "amount", "channel", "bank_account", "batch"]
    half = len(payments) // 2
    write_csv(os.path.join(out, "payments.csv"), pay_header, payments[:half])
    write_csv(os.path.join(out, "payments.0001.csv"), pay_header, payments[half:])
    write_csv(os.path.join(out, "signals.csv"),
              ["person_id", "source", "occurred_at", "place", "detail"], signals)
    write_csv(os.path.join(out, "registry.csv"),
              ["person_id", "event", "event_date", "reported_date", "detail"], registry)
    write_csv(os.path.join(out, "appraisals.csv"),
              ["person_id", "appraisal_date", "hospital_id", "doctor_id", "grade",
               "conclusion"], appraisals)
    write_csv(os.path.join(out, "truth", "persons.csv"),
              ["person_id", "region", "alive", "death_date", "patterns"], truth_rows)
    write_csv(os.path.join(out, "truth", "notes.csv"), ["person_id", "region", "note"],
              [(p.pid, p.region, n) for p in city.persons for n in p.notes])
    write_csv(os.path.join(out, "truth", "planted_rejects.csv"),
              ["file", "person_id", "reason"], city.planted_rejects)
    counts = {}
    for t in truth_rows:
        for c in filter(None, t["patterns"].split(";")):
            counts[c] = counts.get(c, 0) + 1
    print("persons rows %d, contributions %d, payments %d, signals %d, registry %d, "
          "appraisals %d, planted rejects %d" % (len(persons_rows), len(contrib), len(payments),
                                                 len(signals), len(registry), len(appraisals),
                                                 len(city.planted_rejects)), file=sys.stderr)
    print("planted: " + ", ".join("%s=%d" % kv for kv in sorted(counts.items())),
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
